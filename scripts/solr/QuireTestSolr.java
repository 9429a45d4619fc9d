// A throwaway SolrCloud cluster for Quire's test suite and benchmarks: one in-process
// ZooKeeper plus N Solr nodes, all on 127.0.0.1, all in one JVM. Started and stopped by
// scripts/test-services.sh, which compiles this file against the classpath of pom.xml.
//
//   java -cp CLASSES:CLASSPATH QuireTestSolr --port 58983 --dir DATA [--nodes N]
//
// Node i listens on port+i-1 (context /solr); ZooKeeper on a free port. Everything lives in
// DATA (DATA/zookeeper, DATA/node1, ...), so a restart finds its collections again. Once every
// node is up and every replica active, DATA/ready is created (the start script waits for it).
// Runs until SIGTERM/SIGINT, then stops the nodes before ZooKeeper (they need it to leave
// cleanly) and removes DATA/ready.
//
// Why not MiniSolrCloudCluster: it cannot restart on an existing directory, gives every node
// the same port setting, and its ZkTestServer initialises Solr's JUnit base classes.
// JettySolrRunner (solr-core) is the embedded server MiniSolrCloudCluster starts anyway.

import java.io.File;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.solr.common.cloud.ClusterState;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;

public class QuireTestSolr {

  // hostPort/hostContext are filled in per node by JettySolrRunner. leaderVoteWait: a restarted
  // replica would otherwise wait 3 minutes for absent peers before taking leadership. Metrics
  // are off (as in Solr's own test clusters) to save CPU and heap on a small machine.
  private static final String SOLR_XML =
      """
      <solr>
        <solrcloud>
          <str name="host">127.0.0.1</str>
          <int name="hostPort">${hostPort}</int>
          <str name="hostContext">${hostContext:solr}</str>
          <int name="zkClientTimeout">30000</int>
          <bool name="genericCoreNodeNames">true</bool>
          <int name="leaderVoteWait">10000</int>
        </solrcloud>
        <metrics enabled="false"/>
      </solr>
      """;

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable t) {
      // ZooKeeper's and Jetty's threads would keep a half-started JVM alive: exit instead
      // (the shutdown hook stops whatever did start).
      t.printStackTrace();
      System.exit(1);
    }
  }

  private static void run(String[] args) throws Exception {
    int port = 0, nodes = 1;
    Path dir = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(args[++i]);
        case "--nodes" -> nodes = Integer.parseInt(args[++i]);
        case "--dir" -> dir = Path.of(args[++i]).toAbsolutePath();
        default -> throw new IllegalArgumentException("unknown argument: " + args[i]);
      }
    }
    if (port <= 0 || nodes < 1 || dir == null) {
      System.err.println("usage: QuireTestSolr --port PORT --dir DIR [--nodes N]");
      System.exit(2);
    }

    // ZooKeeper, standalone and in-process. Built from its parts rather than with
    // ZooKeeperServerMain, which would also start an admin web server on port 8080.
    Path ready = dir.resolve("ready");
    Files.deleteIfExists(ready);
    File zkData = dir.resolve("zookeeper").toFile();
    zkData.mkdirs();
    ZooKeeperServer zk = new ZooKeeperServer(zkData, zkData, 2000);
    ServerCnxnFactory zkFactory =
        ServerCnxnFactory.createFactory(new InetSocketAddress("127.0.0.1", 0), 200);
    zkFactory.startup(zk);
    String zkHost = "127.0.0.1:" + zkFactory.getLocalPort();
    log("ZooKeeper on " + zkHost + ", data in " + zkData);

    List<JettySolrRunner> runners = new CopyOnWriteArrayList<>();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log("shutting down");
                  try {
                    Files.deleteIfExists(ready);
                  } catch (Exception e) {
                    e.printStackTrace();
                  }
                  for (JettySolrRunner r : runners) {
                    try {
                      r.stop();
                    } catch (Exception e) {
                      e.printStackTrace();
                    }
                  }
                  zkFactory.shutdown();
                  zk.shutdown();
                  log("stopped");
                }));

    for (int i = 1; i <= nodes; i++) {
      Path home = dir.resolve("node" + i);
      Files.createDirectories(home);
      Files.writeString(home.resolve("solr.xml"), SOLR_XML, StandardCharsets.UTF_8);
      Properties props = new Properties();
      props.setProperty("zkHost", zkHost);
      // Our shutdown hook stops the nodes, in order; Jetty's own hook would race with it.
      JettyConfig config =
          JettyConfig.builder()
              .setPort(port + i - 1)
              .setContext("/solr")
              .stopAtShutdown(false)
              .build();
      JettySolrRunner runner = new JettySolrRunner(home.toString(), props, config);
      runners.add(runner);
      runner.start();
      log("node " + i + " at " + runner.getBaseUrl() + ", home " + home);
    }

    // After a restart the existing replicas need a few seconds (leader election, update log
    // replay) before they answer; "ready" means the collections can be used, not just the port.
    var zkState = runners.get(0).getCoreContainer().getZkController().getZkStateReader();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (!allReplicasActive(zkState.getClusterState())) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("replicas not active");
      Thread.sleep(200);
    }
    Files.writeString(ready, zkHost + "\n", StandardCharsets.UTF_8);
    log("ready: " + nodes + " node(s), ZooKeeper " + zkHost);
    Thread.currentThread().join(); // until killed; the shutdown hook does the rest
  }

  // Replicas on nodes that are not running (say, node 2 after a restart with --nodes 1) are
  // left out: they cannot become active.
  private static boolean allReplicasActive(ClusterState state) {
    Set<String> live = state.getLiveNodes();
    return state
        .collectionStream()
        .flatMap(c -> c.getActiveSlices().stream())
        .flatMap(slice -> slice.getReplicas().stream())
        .filter(r -> live.contains(r.getNodeName()))
        .allMatch(r -> r.isActive(live));
  }

  private static void log(String msg) {
    System.out.println("QuireTestSolr: " + msg);
  }
}
