// Apache Solr 9 in SolrCloud mode from Maven Central's artifacts (quire.dms.solr with
// solr_install_from: maven): one Solr node, Solr's embedded Jetty server (JettySolrRunner), and
// either an in-process ZooKeeper (one host) or an external ensemble (HOST:PORT,...[/CHROOT]; the
// chroot is created). The same approach as
// scripts/solr/QuireTestSolr.java, which the test suite uses.
//
//   java -cp CLASSES:LIB/* QuireSolr --port 8983 --dir DATA [--host ADDR]
//       [--zk-port 9983 | --zk-host H:P,...]
//
// JettySolrRunner binds 127.0.0.1 whatever it is told (Solr 9.10's connector has the address
// written in, and neither JettyConfig nor a system property changes it). --host is the address
// this node announces to ZooKeeper (solr.xml's host: the node name other nodes and clients are
// sent to); something else must listen there and forward to 127.0.0.1:PORT (the role's
// solr-proxy.socket). Without --host the node announces 127.0.0.1.
//
// DATA/home is the Solr home (solr.xml is written at each start), DATA/zookeeper the embedded
// ZooKeeper's data. Runs until SIGTERM, then stops the node before ZooKeeper.

import java.io.File;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;

public class QuireSolr {

  private static final String SOLR_XML =
      """
      <solr>
        <solrcloud>
          <str name="host">${host}</str>
          <int name="hostPort">${hostPort}</int>
          <str name="hostContext">${hostContext:solr}</str>
          <int name="zkClientTimeout">30000</int>
          <bool name="genericCoreNodeNames">true</bool>
        </solrcloud>
      </solr>
      """;

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable t) {
      t.printStackTrace();
      System.exit(1);
    }
  }

  private static void run(String[] args) throws Exception {
    int port = 0, zkPort = 0;
    String zkHost = null;
    String host = "127.0.0.1";
    Path dir = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(args[++i]);
        case "--zk-port" -> zkPort = Integer.parseInt(args[++i]);
        case "--zk-host" -> zkHost = args[++i];
        case "--host" -> host = args[++i];
        case "--dir" -> dir = Path.of(args[++i]).toAbsolutePath();
        default -> throw new IllegalArgumentException("unknown argument: " + args[i]);
      }
    }
    if (port <= 0 || dir == null || (zkHost == null && zkPort <= 0)) {
      System.err.println(
          "usage: QuireSolr --port PORT --dir DIR [--host ADDR] (--zk-port PORT | --zk-host HOSTS)");
      System.exit(2);
    }

    ZooKeeperServer zk = null;
    ServerCnxnFactory zkFactory = null;
    if (zkHost == null) {
      File zkData = dir.resolve("zookeeper").toFile();
      zkData.mkdirs();
      zk = new ZooKeeperServer(zkData, zkData, 2000);
      zkFactory = ServerCnxnFactory.createFactory(new InetSocketAddress("127.0.0.1", zkPort), 200);
      zkFactory.startup(zk);
      zkHost = "127.0.0.1:" + zkPort;
      System.out.println("QuireSolr: embedded ZooKeeper on " + zkHost);
    }

    Path home = dir.resolve("home");
    Files.createDirectories(home);
    Files.writeString(home.resolve("solr.xml"), SOLR_XML, StandardCharsets.UTF_8);
    Properties props = new Properties();
    props.setProperty("zkHost", zkHost);
    // An external ensemble's chroot (HOST:PORT/solr) is created when it does not exist yet.
    System.setProperty("createZkChroot", "true");
    props.setProperty("host", host);
    JettyConfig config =
        JettyConfig.builder().setPort(port).setContext("/solr").stopAtShutdown(false).build();
    JettySolrRunner runner = new JettySolrRunner(home.toString(), props, config);

    final ZooKeeperServer zkServer = zk;
    final ServerCnxnFactory zkServerFactory = zkFactory;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    runner.stop();
                  } catch (Exception e) {
                    e.printStackTrace();
                  }
                  if (zkServerFactory != null) {
                    zkServerFactory.shutdown();
                    zkServer.shutdown();
                  }
                  System.out.println("QuireSolr: stopped");
                }));
    runner.start();
    System.out.println("QuireSolr: Solr at " + runner.getBaseUrl() + ", home " + home);
    Thread.currentThread().join();
  }
}
