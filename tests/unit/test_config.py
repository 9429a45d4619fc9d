from pathlib import Path

import pytest

from quire.core.config import ConfigError, Settings, normalize_database_url, read_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("QUIRE__", "PAPERMERGE__")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("QUIRE_CONFIG", str(tmp_path / "absent.toml"))


def test_papermerge_prefix_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERMERGE__SECURITY__SECRET_KEY", "abc")
    monkeypatch.setenv("PAPERMERGE__AUTH__PASSWORD", "pass123")
    settings = Settings()
    assert settings.security.secret_key is not None
    assert settings.security.secret_key.get_secret_value() == "abc"
    assert settings.auth.password is not None
    assert settings.auth.password.get_secret_value() == "pass123"
    assert settings.auth.username == "admin"


def test_quire_prefix_wins_key_by_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERMERGE__AUTH__USERNAME", "upstream")
    monkeypatch.setenv("PAPERMERGE__AUTH__EMAIL", "up@example.com")
    monkeypatch.setenv("QUIRE__AUTH__USERNAME", "ours")
    settings = Settings()
    assert settings.auth.username == "ours"
    # Keys only the upstream prefix sets still come through.
    assert settings.auth.email == "up@example.com"


def test_an_empty_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    # compose.yaml passes every setting, empty where its setup has no such service.
    monkeypatch.setenv("QUIRE__DATABASE__URL", "")
    monkeypatch.setenv("PAPERMERGE__REDIS__URL", "")
    monkeypatch.setenv("QUIRE__AUTH__USERNAME", "")
    monkeypatch.setenv("PAPERMERGE__AUTH__USERNAME", "upstream")
    settings = Settings()
    assert settings.database.url is None
    assert settings.redis.url is None
    assert settings.auth.username == "upstream"


def test_toml_file_is_read_and_env_overrides_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "quire.toml"
    config.write_text('[main]\nmax_file_size_mb = 7\n[ocr]\nlang_codes = "deu,eng"\n')
    monkeypatch.setenv("QUIRE_CONFIG", str(config))
    monkeypatch.setenv("QUIRE__OCR__LANG_CODES", "fra")
    settings = Settings()
    assert settings.main.max_file_size_mb == 7
    assert settings.ocr.lang_codes == "fra"


def test_default_database_is_sqlite_in_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("QUIRE__MAIN__DATA_DIR", str(tmp_path))
    assert Settings().database_url == f"sqlite:///{tmp_path}/quire.sqlite3"
    assert Settings().main.media_path == tmp_path / "media"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("mysql://u:p@h/db", "mysql+pymysql://u:p@h/db"),
        ("mariadb://u:p@h/db", "mysql+pymysql://u:p@h/db"),
        ("sqlite:////db/db.sqlite3", "sqlite:////db/db.sqlite3"),
        ("postgresql+psycopg://h/db", "postgresql+psycopg://h/db"),
    ],
)
def test_upstream_database_urls_map_to_our_drivers(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected


def test_bad_value_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUIRE__MAIN__MAX_FILE_SIZE_MB", "lots")
    with pytest.raises(ValueError, match="max_file_size_mb"):
        Settings()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("QUIRE__STORAGE__BACKEND", "s3", "STORAGE__BACKEND=s3 needs S3__BUCKET_NAME"),
        ("QUIRE__MAIN__FILE_SERVER", "s3", "MAIN__FILE_SERVER=s3 needs S3__BUCKET_NAME"),
    ],
)
def test_the_bucket_modes_need_a_bucket(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        Settings()
    monkeypatch.setenv("PAPERMERGE__S3__BUCKET_NAME", "documents")  # upstream's key works too
    assert Settings().s3.bucket_name == "documents"


def test_a_config_file_that_is_not_toml_is_one_line_saying_where(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "quire.toml"
    config.write_text("[main]\nmax_pages_per_document = \n")
    monkeypatch.setenv("QUIRE_CONFIG", str(config))
    with pytest.raises(ConfigError) as caught:
        read_settings()
    assert str(caught.value) == f"{config} is not valid TOML: Invalid value (at line 2, column 26)"


def test_an_invalid_value_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUIRE__MAIN__MAX_FILE_SIZE_MB", "lots")
    monkeypatch.setenv("QUIRE__MAIN__MAX_PAGES_PER_DOCUMENT", "0")
    with pytest.raises(ConfigError) as caught:
        read_settings()
    message = str(caught.value)
    assert message.startswith("invalid settings: main.max_file_size_mb: Input should be")
    assert "; main.max_pages_per_document: Input should be greater than" in message
    assert "\n" not in message


def test_cors_origins_are_an_explicit_list_of_origins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUIRE__SECURITY__CORS_ORIGINS", "https://App.example.com, http://h:8080/")
    assert Settings().security.cors_origins == ["https://app.example.com", "http://h:8080"]
    assert Settings(security={"cors_origins": ["https://a.example"]}).security.cors_origins == [
        "https://a.example"
    ]
    for refused, why in (
        ("*", "'*' is not allowed"),
        ("https://a.example/path", "is not an origin"),
        ("a.example", "is not an origin"),
    ):
        monkeypatch.setenv("QUIRE__SECURITY__CORS_ORIGINS", refused)
        with pytest.raises(ConfigError, match=why):
            read_settings()
    monkeypatch.delenv("QUIRE__SECURITY__CORS_ORIGINS")
    assert Settings().security.cors_origins == []


def test_remote_sign_in_needs_trusted_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERMERGE__AUTH__REMOTE", "true")
    with pytest.raises(ConfigError, match="AUTH__REMOTE needs SECURITY__TRUSTED_PROXIES"):
        read_settings()
    monkeypatch.setenv("QUIRE__SECURITY__TRUSTED_PROXIES", "10.0.0.2")
    auth = read_settings().auth
    assert (auth.remote, auth.remote_user_header, auth.remote_groups_header) == (
        True,
        "Remote-User",
        "Remote-Groups",
    )
    monkeypatch.delenv("PAPERMERGE__AUTH__REMOTE")
    assert read_settings().auth.remote is False  # off by default
