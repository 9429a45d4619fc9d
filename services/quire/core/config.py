"""Settings: one object read from the environment, the upstream-compatible prefix and a TOML file.

Precedence, highest first: ``QUIRE__SECTION__KEY`` env vars, ``PAPERMERGE__SECTION__KEY`` env vars
(drop-in compatibility with Papermerge 3.5 deployment docs), the TOML file
(``$QUIRE_CONFIG`` or ``/etc/quire/quire.toml``), then the defaults below.

``get_settings`` reads them once; settings that cannot be read (a file that is not TOML or
cannot be opened, an invalid value) raise ``ConfigError`` with one line saying where and why,
which the ``quire`` command prints instead of a traceback.
"""

from __future__ import annotations

import json
import os
import tomllib
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

DEFAULT_CONFIG_FILE = Path("/etc/quire/quire.toml")


def _default_data_dir() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "quire"


class MainSettings(BaseModel):
    data_dir: Path = Field(default_factory=_default_data_dir)
    # Defaults to <data_dir>/media when unset.
    media_root: Path | None = None
    max_file_size_mb: int = Field(default=100, gt=0)
    # Pages of one document (frames of an image): more is refused at upload, before any page
    # is rendered (a few bytes of PDF can declare thousands of pages).
    max_pages_per_document: int = Field(default=2_000, ge=1)
    # Megapixels of one uploaded image (each frame), read from its header before decoding,
    # and of all its frames together (they are converted to PDF inside the request).
    max_image_megapixels: int = Field(default=180, ge=1)
    max_image_total_megapixels: int = Field(default=1_000, ge=1)
    # Every request body other than an upload (JSON, forms): refused with 413 past this.
    max_body_size_kb: int = Field(default=1024, gt=0)
    # Days a deleted node stays in its owner's trash before the hourly ``empty_trash`` task
    # removes it for good (files, index entries, rows).
    trash_days: int = Field(default=30, ge=0)
    # Tenant prefix for queue names and object keys, so several installations share one Redis.
    prefix: str = ""
    timezone: str = "UTC"
    # How downloads, thumbnails and page previews reach the browser: through the web process
    # (local), or by a redirect to a short-lived signed URL on the bucket or a CDN (s3).
    file_server: Literal["local", "s3"] = "local"
    # With file_server=s3, a CloudFront domain to sign URLs for instead of the bucket
    # (upstream's keys): the key pair's id and its private key (PEM).
    cf_domain: str | None = None
    cf_sign_url_key_id: str | None = None
    cf_sign_url_private_key: SecretStr | None = None

    @property
    def media_path(self) -> Path:
        return self.media_root or self.data_dir / "media"


class StorageSettings(BaseModel):
    """Where document files live: the media root (default) or an S3 bucket (``s3``)."""

    backend: Literal["local", "s3"] = "local"
    # With the s3 backend: the local copies of recently used files (defaults to
    # <data_dir>/cache), kept under this many megabytes.
    cache_dir: Path | None = None
    cache_size_mb: int = Field(default=2048, ge=1)
    # A cached file used within this many seconds is never evicted (it may be open).
    cache_min_age_seconds: float = Field(default=600, ge=0)


class S3Settings(BaseModel):
    """The bucket: primary storage (STORAGE__BACKEND=s3), or a mirror of the media root.

    With ``bucket_name`` set and the local backend, every file is mirrored to the bucket by the
    ``s3`` queue. Credentials left unset come from the standard AWS chain (AWS_ACCESS_KEY_ID,
    ~/.aws, an instance role).
    """

    bucket_name: str | None = None
    region_name: str | None = None
    # For MinIO, Ceph RGW, Garage, R2...: https://s3.example.com
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None
    # path: https://host/bucket/key (most S3-compatible servers); virtual: https://bucket.host/key.
    addressing_style: Literal["auto", "path", "virtual"] = "auto"
    # Server-side encryption of every object: none, SSE-S3 (AES256) or SSE-KMS (aws:kms).
    server_side_encryption: Literal["none", "AES256", "aws:kms"] = "none"
    sse_kms_key_id: str | None = None
    # Files from this size up are sent in parts of multipart_chunksize_mb, several at once.
    multipart_threshold_mb: int = Field(default=64, ge=5)
    multipart_chunksize_mb: int = Field(default=16, ge=5)
    max_concurrency: int = Field(default=4, ge=1, le=64)
    connect_timeout_seconds: float = Field(default=5, gt=0)
    read_timeout_seconds: float = Field(default=60, gt=0)
    # How long a signed download URL stays valid (MAIN__FILE_SERVER=s3).
    presign_expires_seconds: int = Field(default=300, ge=1, le=7 * 24 * 3600)
    # Sign URLs for this address instead of endpoint_url (the bucket's public name when the
    # services reach it by an internal one).
    public_endpoint_url: str | None = None
    # ``quire s3 sync`` leaves objects younger than this alone when nothing claims them: they
    # may be an upload whose transaction has not committed yet.
    orphan_grace_seconds: float = Field(default=900, ge=0)

    @property
    def enabled(self) -> bool:
        return bool(self.bucket_name)


class DatabaseSettings(BaseModel):
    # Defaults to SQLite in <data_dir>/quire.sqlite3 when unset.
    url: str | None = None
    pool_size: int = 10
    echo: bool = False


class SecuritySettings(BaseModel):
    secret_key: SecretStr | None = None
    token_expire_minutes: int = Field(default=360, gt=0)
    token_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    cookie_name: str = "access_token"
    # The session cookie's Secure flag: unset, on over HTTPS and on loopback (web/session.py).
    cookie_secure: bool | None = None
    # Reverse proxies (IPs or CIDRs) whose X-Forwarded-For is believed; nobody's by default, so
    # a client cannot pick its own address. TOML list, JSON list or "10.0.0.1, 10.1.0.0/16".
    # NoDecode: pydantic-settings would insist on JSON for a list in an env var.
    trusted_proxies: Annotated[list[IPv4Network | IPv6Network], NoDecode] = []
    # Browser origins (``https://app.example.com``) allowed to call the API from their pages,
    # with credentials (CORS). None by default; an explicit list, never ``*``.
    cors_origins: Annotated[list[str], NoDecode] = []

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_proxies(cls, value: Any) -> Any:
        value = _text_list(value)
        if isinstance(value, list):
            # strict=False: "10.0.0.1/8" means the network 10.0.0.0/8, not an error.
            items = (str(item).strip() for item in value)
            return [ip_network(item, strict=False) for item in items if item]
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _parse_origins(cls, value: Any) -> Any:
        value = _text_list(value)
        return (
            [_origin(str(v)) for v in value if str(v).strip()] if isinstance(value, list) else value
        )


def _text_list(value: Any) -> Any:
    """A TOML or JSON list as it is; a text ``"a, b"`` as ``["a", "b"]``."""
    if isinstance(value, str):
        text = value.strip()
        return json.loads(text) if text.startswith("[") else text.split(",")
    return value


def _origin(text: str) -> str:
    """``scheme://host[:port]``, as a browser sends it in ``Origin``; anything else is refused."""
    origin = text.strip().rstrip("/")
    if origin == "*":
        raise ValueError("'*' is not allowed: list the origins (credentials go with them)")
    parts = urlsplit(origin)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path or parts.query:
        raise ValueError(f"{text!r} is not an origin like https://app.example.com[:port]")
    return origin.lower()


class AuthSettings(BaseModel):
    username: str = "admin"
    password: SecretStr | None = None
    email: str = "admin@example.com"
    # Failed-login throttling (web/api/auth.py has the whole policy). Failures of one account
    # from one address before that pair waits 2, 4, 8... seconds, up to backoff_max_seconds.
    failures_before_backoff: int = Field(default=5, ge=1)
    # Failures from one address, over all accounts, before the address itself backs off.
    max_failures_per_address: int = Field(default=20, ge=1)
    # Failures of one account, from all addresses, past which every address that has failed on
    # it backs off from its first failure; an address that has not still gets its try.
    max_failures_per_account: int = Field(default=100, ge=1)
    backoff_max_seconds: int = Field(default=3600, gt=0)
    # Failures older than this are forgotten (and deleted); keep it well above the cap.
    failure_window_seconds: int = Field(default=86400, gt=0)
    # Sign-in by an authenticating proxy's headers (upstream's names): off by default, and
    # believed only from SECURITY__TRUSTED_PROXIES (web/trusted_headers.py).
    remote: bool = False
    remote_user_header: str = Field(default="Remote-User", min_length=1)
    remote_groups_header: str = Field(default="Remote-Groups", min_length=1)
    remote_email_header: str = Field(default="Remote-Email", min_length=1)


class RedisSettings(BaseModel):
    url: str | None = None


QUEUES = ("ocr", "index", "path_tmpl", "s3", "previews")


class TasksSettings(BaseModel):
    """Background work: the outbox, its runner (embedded) or arq queues (with Redis)."""

    # Seconds one run of a task may take, per queue; past it the run counts as failed.
    timeouts: dict[str, int] = {
        "ocr": 3600,
        "index": 600,
        "path_tmpl": 300,
        "s3": 1800,
        "previews": 300,
    }
    # Runs of one task before it ends ``failed``; between runs it waits backoff * 2**(run - 1).
    max_attempts: int = Field(default=5, ge=1)
    retry_backoff_seconds: float = Field(default=10, ge=0)
    # The longest wait between two runs (a task that retries for long, like the bucket sync's).
    max_retry_delay_seconds: float = Field(default=3600, ge=0)
    # How often the dispatcher looks for work it was not told about (another process's, a
    # retry that came due, work Redis lost) and how long a dispatched task may wait to start
    # before it is handed to the queue again.
    sweep_interval_seconds: float = Field(default=15, gt=0)
    redispatch_after_seconds: float = Field(default=120, gt=0)
    # Tasks one embedded runner or one worker runs at once.
    concurrency: int = Field(default=2, ge=1)
    # Without Redis, whether this web process runs the outbox's tasks itself. Off for a
    # process that must only serve requests (the test suite's API tests, for one).
    run_embedded: bool = True

    def timeout(self, queue: str) -> int:
        return self.timeouts.get(queue, 600)


class SearchSettings(BaseModel):
    """Full-text search: embedded Tantivy by default, Apache Solr 9 (SolrCloud) to scale out."""

    # tantivy:///path/to/index (default: <data_dir>/index) or solr://host:8983/<collection>
    # (solr+https:// for TLS; several hosts as solr://h1:8983,h2:8983/<collection>).
    url: str | None = None
    # Solr: writes become searchable within this time, batched by Solr instead of committed
    # one by one.
    commit_within_ms: int = Field(default=1000, ge=0)
    timeout_seconds: float = Field(default=10, gt=0)
    username: str | None = None
    password: SecretStr | None = None
    # Solr: the collection ``quire search init`` creates.
    shards: int = Field(default=1, ge=1)
    replicas: int = Field(default=1, ge=1)
    # Nodes per batch when the indexer rebuilds or repairs the index.
    batch_size: int = Field(default=250, ge=1, le=10_000)


class OcrSettings(BaseModel):
    """OCR with OCRmyPDF and Tesseract; the languages are whatever Tesseract has installed."""

    # OCR every upload of a document whose ``ocr`` flag is set: OCR works out of the box.
    automatic: bool = True
    default_lang_code: str = "eng"
    # Comma list of the languages the UI offers; empty: every installed one (except ``osd``).
    lang_codes: str = ""
    # skip-text keeps pages that have text as they are (a born-digital PDF is not rasterised);
    # redo replaces an earlier OCR layer; force rasterises every page and OCRs it again.
    mode: Literal["skip-text", "redo", "force"] = "skip-text"
    # CPUs one OCR task may use (OCRmyPDF's page-parallel jobs).
    jobs: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    # Tesseract's limit per page; a page over it keeps its image but gets no text.
    page_timeout_seconds: float = Field(default=180, gt=0)
    # The limit for a whole document: past it OCR is stopped and ends failed (keep it below
    # TASKS__TIMEOUTS["ocr"], which also covers storing the result).
    document_timeout_seconds: float = Field(default=1800, gt=0)


class PreviewSettings(BaseModel):
    page_size_sm: int = 200
    page_size_md: int = 600
    page_size_lg: int = 900
    page_size_xl: int = 1600
    thumbnail_size: int = 200
    # The largest bitmap one page is rendered to (pixels, and longest side): a page too tall or
    # wide for it is drawn smaller than the asked width instead of taking gigabytes.
    max_render_megapixels: int = Field(default=40, ge=1)
    max_render_side: int = Field(default=16_384, ge=100, le=65_000)

    def width(self, size: str) -> int:
        return int(getattr(self, f"page_size_{size}"))


class AuditSettings(BaseModel):
    # Entries of the audit log older than this are deleted by the scheduled pruning; 0 keeps
    # them for ever. A year covers most offices' yearly reviews without growing unbounded.
    retention_days: int = Field(default=365, ge=0)


class NotifySettings(BaseModel):
    """The notifications service (``quire notify``, and the web app's own ``/ws``)."""

    # A ``{"type": "ping"}`` frame this often: proxies keep the socket open, clients see it live.
    heartbeat_seconds: float = Field(default=25, gt=0)
    # Messages waiting for one client before it counts as too slow and is dropped (it
    # reconnects and replays what it missed): each client's memory stays bounded.
    client_queue_size: int = Field(default=1000, ge=1)
    # Events a reconnecting client is sent from the table, at most (older ones: GET
    # /api/events/); and how often the table is swept for events whose announcement was lost.
    replay_limit: int = Field(default=5000, ge=1)
    sweep_seconds: float = Field(default=5, gt=0)
    # The hourly pruning deletes events older than this.
    retention_days: int = Field(default=7, ge=1)


class Settings(BaseSettings):
    # An empty variable counts as unset (compose.yaml passes every setting, empty when unused).
    model_config = SettingsConfigDict(
        env_prefix="QUIRE__",
        env_nested_delimiter="__",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,
    )

    main: MainSettings = MainSettings()
    database: DatabaseSettings = DatabaseSettings()
    security: SecuritySettings = SecuritySettings()
    auth: AuthSettings = AuthSettings()
    redis: RedisSettings = RedisSettings()
    search: SearchSettings = SearchSettings()
    tasks: TasksSettings = TasksSettings()
    ocr: OcrSettings = OcrSettings()
    preview: PreviewSettings = PreviewSettings()
    storage: StorageSettings = StorageSettings()
    audit: AuditSettings = AuditSettings()
    notify: NotifySettings = NotifySettings()
    s3: S3Settings = S3Settings()

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.auth.remote and not self.security.trusted_proxies:
            raise ValueError("AUTH__REMOTE needs SECURITY__TRUSTED_PROXIES (whose headers count)")
        if not self.s3.enabled:
            if self.storage.backend == "s3":
                raise ValueError("STORAGE__BACKEND=s3 needs S3__BUCKET_NAME")
            if self.main.file_server == "s3":
                raise ValueError("MAIN__FILE_SERVER=s3 needs S3__BUCKET_NAME")
        return self

    @property
    def cache_path(self) -> Path:
        return self.storage.cache_dir or self.main.data_dir / "cache"

    @property
    def database_url(self) -> str:
        url = self.database.url or f"sqlite:///{self.main.data_dir / 'quire.sqlite3'}"
        return normalize_database_url(url)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        papermerge_env = EnvSettingsSource(
            settings_cls, env_prefix="PAPERMERGE__", env_nested_delimiter="__"
        )
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file())
        return (init_settings, env_settings, papermerge_env, toml)


def normalize_database_url(url: str) -> str:
    """Map the upstream-style URLs (``postgresql://``, ``mysql://``) to the drivers we ship."""
    for plain, driver in (
        ("postgresql://", "postgresql+psycopg://"),
        ("postgres://", "postgresql+psycopg://"),
        ("mysql://", "mysql+pymysql://"),
        ("mariadb://", "mysql+pymysql://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def config_file() -> Path:
    """The TOML file settings are read from (it need not exist)."""
    return Path(os.environ.get("QUIRE_CONFIG", DEFAULT_CONFIG_FILE))


class ConfigError(ValueError):
    """The settings cannot be read; the message, one line, says where and why."""


def read_settings() -> Settings:
    """The settings, or ConfigError: what pydantic-settings and tomllib raise, said in a line."""
    try:
        return Settings()
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_file()} is not valid TOML: {exc}") from exc
    except OSError as exc:  # unreadable, a directory...
        raise ConfigError(f"{config_file()} cannot be read: {exc.strerror or exc}") from exc
    except SettingsError as exc:  # e.g. a variable that should hold JSON does not
        raise ConfigError(str(exc).replace("\n", " ")) from exc
    except ValidationError as exc:
        problems = [
            f"{'.'.join(map(str, error['loc']))}: {error['msg']}" if error["loc"] else error["msg"]
            for error in exc.errors()
        ]
        raise ConfigError(f"invalid settings: {'; '.join(problems)}") from exc


@lru_cache
def get_settings() -> Settings:
    """The settings, read once (``read_settings``: ConfigError if they cannot be)."""
    return read_settings()
