"""Commands run by the tests print into a fixed terminal (``tests.helpers.cli``): one line per
message, however long the temporary path it names. In Rich's default 80 columns, where pytest
put ``tmp_path`` decided whether ``"up to date" in result.stderr`` held."""

from tests.helpers.cli import TERMINAL, run_quire, terminal_env
from tests.processes import clean_env


def test_a_message_naming_a_long_path_stays_on_one_line(tmp_path):
    data_dir = (tmp_path / ("d" * 100) / ("e" * 100)).resolve()
    env = clean_env(
        tmp_path, QUIRE__MAIN__DATA_DIR=str(data_dir), QUIRE_CONFIG=str(tmp_path / "none.toml")
    )
    migrated = run_quire("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    init = run_quire("search", "init", env=env)
    assert init.returncode == 0, init.stderr
    index = f"tantivy://{data_dir / 'index'}"
    assert f"search index {index}: created (a rebuild is queued)\n" in init.stderr


def test_the_terminal_wins_over_the_environment_it_is_given():
    given = {"HOME": "/home/x", "COLUMNS": "40", "FORCE_COLOR": "1", "TTY_COMPATIBLE": "1"}
    assert terminal_env(given) == {"HOME": "/home/x", **TERMINAL}
    assert given["COLUMNS"] == "40"  # the caller's mapping is left alone
