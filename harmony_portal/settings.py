"""One Settings object, read from the environment (see README "Settings")."""

from __future__ import annotations

import os
import secrets
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import Field, PrivateAttr, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_PLACEHOLDERS = {"", "changeme", "change-me", "changethis", "secret", "default"}
# A production key shorter than this is a password someone typed, not a random key.
MIN_PRODUCTION_KEY_LENGTH = 32
_NEW_KEY_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
# Every other HARMONY_ENV value, "staging" and typos included, is treated as production.
NON_PRODUCTION_ENVS = frozenset({"development", "dev", "test"})


class ConfigurationError(RuntimeError):
    """The environment asks for something the portal refuses to run with."""


class Settings(BaseSettings):
    """Every setting the portal reads; names match the environment variables."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    database_url: str = "sqlite:///data/harmony.db"
    redis_url: str | None = None
    port: int = 3000
    harmony_secret_key: SecretStr | None = None
    # Keys HARMONY_SECRET_KEY replaced (comma-separated): they still read what they wrote, until
    # `harmony-portal rotate-key` has rewritten it all under the current key.
    harmony_old_secret_keys: SecretStr | None = None
    harmony_demo: bool = True
    harmony_upload_dir: Path = Path("data/attachments")
    smtp_url: SecretStr | None = None
    harmony_timezone: str = "America/Anchorage"
    harmony_env: str = Field(default="development")
    # The address in emailed links. Unset: the local server on PORT (filled in below), which
    # production refuses: a link must reach the portal from wherever the email is read.
    harmony_base_url: str = ""
    # The sender of every email: an address of the portal's own domain, or relays that check
    # SPF/DMARC alignment file it as spam; production refuses the placeholder ``.local`` one.
    harmony_mail_from: str = "Harmony Portal <no-reply@harmony-portal.local>"
    # How often an open page asks whether its session is about to idle out.
    harmony_idle_check_seconds: int = 30
    # Reverse proxies in front of the portal that append to X-Forwarded-For. 0 trusts
    # no header (the socket's address is the client); set it to the exact count, or a
    # client can forge its IP and slip past the per-IP rate limits.
    harmony_trusted_proxy_hops: int = Field(default=0, ge=0)
    # Off only for the browser-test server, where one address signs in dozens of times a
    # minute; production refuses to start with it off.
    harmony_rate_limits: bool = True
    # How often each server process looks for email to send, besides right after a commit
    # that queued some (which reaches only the process that made it).
    harmony_mail_poll_seconds: float = Field(default=5, gt=0)
    # Other origins of this same portal (comma-separated), e.g. each node's own name behind the
    # proxy: their pages may open the websocket too. Every other origin is refused.
    harmony_extra_origins: str = ""
    # The port the frontend build is keyed to (default: PORT). Behind a TLS proxy the browser
    # reaches the backend on its page's own host and port whatever the build says, so every
    # node may share one build: give them all the same value.
    harmony_frontend_port: int | None = None
    # How long `harmony-portal prune-audit` keeps audit rows: six years, HIPAA's retention
    # period for security documentation (45 CFR 164.316(b)(2)).
    harmony_audit_retention_days: int = Field(default=2190, ge=1)
    # How long the sender keeps trying an email that fails (server down or refusing for now):
    # this many attempts, the first retry after this many seconds and each later wait twice
    # the one before (8 and 60: about two hours in all); then it is marked failed for an
    # administrator to retry from the Outbox.
    harmony_mail_max_attempts: int = Field(default=8, ge=1, le=20)
    harmony_mail_first_retry_seconds: float = Field(default=60, gt=0)
    # On SIGTERM a worker lets events already running finish for this long, then cancels
    # them; the server kills a worker still running this long (plus a margin) later.
    harmony_shutdown_seconds: int = Field(default=30, gt=0)
    # The portal's signing identity for Access Request forms signed in the portal: the
    # certificate (PEM, then the chain up to the root), its private key (PEM, unencrypted,
    # readable by the portal alone) and the roots signatures are checked against (a PEM bundle:
    # keep retired roots in it, so forms signed before a rotation still validate). Outside
    # production, generated into the data folder when first needed; production refuses to
    # start without them.
    harmony_signing_cert: Path | None = None
    harmony_signing_key: Path | None = None
    harmony_signing_roots: Path | None = None
    # Optional: an RFC 3161 timestamp authority. Each signature then carries its timestamp (PAdES
    # B-T) instead of the portal's own clock (B-B); its roots go into HARMONY_SIGNING_TSA_ROOTS.
    harmony_signing_tsa_url: str | None = None
    harmony_signing_tsa_roots: Path | None = None
    # The Unicode font forms and records are drawn in (a TrueType file, its bold beside it with
    # "-Bold" in the name): names print as typed. Debian/Ubuntu: package fonts-dejavu-core.
    harmony_pdf_font: Path = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf")
    # How often each server process looks for scheduled jobs (signing reminders, expiries).
    harmony_job_poll_seconds: float = Field(default=30, gt=0)
    # A role request nobody decides expires after this many days (its requester is told).
    harmony_request_expiry_days: int = Field(default=30, gt=0)

    _base_url_unset: bool = PrivateAttr(default=False)
    _generated_key: str = PrivateAttr(default="")

    def model_post_init(self, context: object, /) -> None:
        """An unset HARMONY_BASE_URL follows PORT (``PORT=3100 make run`` emails links to 3100)."""
        if not self.harmony_base_url.strip():
            self._base_url_unset = True
            self.harmony_base_url = f"http://localhost:{self.port}"

    @property
    def base_url_is_default(self) -> bool:
        """HARMONY_BASE_URL was not set (production refuses that)."""
        return self._base_url_unset

    @property
    def is_production(self) -> bool:
        """Fail closed: only a known non-production name ("staging", a typo) turns the checks off."""
        return self.harmony_env.strip().lower() not in NON_PRODUCTION_ENVS

    @property
    def allowed_origins(self) -> list[str]:
        """Origins whose pages may open the websocket or call the HTTP routes.

        The portal's own (from HARMONY_BASE_URL); outside production also the
        local server on PORT under both loopback names, where tests and
        `make run` are reached.
        """
        parts = urlsplit(self.harmony_base_url)
        origins = [f"{parts.scheme}://{parts.netloc}"]
        if not self.is_production:
            origins += [f"http://{host}:{self.port}" for host in ("localhost", "127.0.0.1")]
        origins += [o.strip().rstrip("/") for o in self.harmony_extra_origins.split(",") if o.strip()]
        return list(dict.fromkeys(origins))

    @property
    def cookie_secure(self) -> bool:
        """Session cookies go over TLS only, except on a plain-HTTP development machine."""
        return self.is_production or self.harmony_base_url.startswith("https://")

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.harmony_timezone)

    @property
    def data_dir(self) -> Path:
        return PROJECT_ROOT / "data"

    @property
    def upload_dir(self) -> Path:
        path = self.harmony_upload_dir
        return path if path.is_absolute() else PROJECT_ROOT / path

    @property
    def reflex_upload_dir(self) -> Path:
        """Reflex's own upload folder, served to anyone at /_upload/...: kept empty, used for nothing."""
        return self.data_dir / "reflex-uploads-unused"

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with relative SQLite paths anchored at the project root."""
        prefix = "sqlite:///"
        url = self.database_url
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(PROJECT_ROOT / url[len(prefix):])
        return url

    def secret_key(self) -> str:
        """The signing/encryption key.

        In development a key is generated into ``data/secret_key`` on first use.
        A production start refuses a missing or placeholder key.
        """
        key = (self.harmony_secret_key.get_secret_value() if self.harmony_secret_key else "").strip()
        if self.is_production:
            if key.lower() in DEFAULT_SECRET_PLACEHOLDERS or len(key) < MIN_PRODUCTION_KEY_LENGTH:
                raise ConfigurationError(
                    f"HARMONY_SECRET_KEY is missing, a placeholder or shorter than {MIN_PRODUCTION_KEY_LENGTH} "
                    f"characters: set it to a long random value ({_NEW_KEY_HINT}).")
            return key
        if key and key.lower() not in DEFAULT_SECRET_PLACEHOLDERS:
            return key
        if not self._generated_key:  # read once: every seal, unseal and keyed name asks for it
            key_file = self.data_dir / "secret_key"
            if not key_file.exists():
                key_file.parent.mkdir(parents=True, exist_ok=True)
                write_private_file(key_file, secrets.token_urlsafe(48))
            self._generated_key = key_file.read_text().strip()
        return self._generated_key

    def old_secret_keys(self) -> list[str]:
        """The keys the current one replaced, for reading only (HARMONY_OLD_SECRET_KEYS)."""
        raw = self.harmony_old_secret_keys.get_secret_value() if self.harmony_old_secret_keys else ""
        return [key.strip() for key in raw.split(",") if key.strip()]

    def smtp_address(self) -> str:
        """SMTP_URL in the clear (it may hold a password), or "" when unset."""
        return (self.smtp_url.get_secret_value() if self.smtp_url else "").strip()


def production_problems(settings: Settings) -> list[str]:
    """What stops ``settings`` from serving in production: one line each, naming what to set.

    Empty outside production, and when everything is in order.
    """
    if not settings.is_production:
        return []
    env = f"HARMONY_ENV={settings.harmony_env!r} counts as production"
    problems = []
    if not settings.sqlalchemy_url.startswith("postgresql"):
        problems.append(f"DATABASE_URL is not PostgreSQL ({env}; SQLite serves one process on one machine): "
                        "set DATABASE_URL=postgresql+psycopg://USER:PASSWORD@HOST:5432/DATABASE.")
    if not (settings.redis_url or "").strip():
        problems.append(f"REDIS_URL is not set ({env}; workers and nodes share page state and live updates "
                        "through Redis): set REDIS_URL=redis://HOST:6379/0.")
    try:
        settings.secret_key()
    except ConfigurationError as exc:
        problems.append(str(exc))
    if settings.harmony_demo:
        problems.append(f"HARMONY_DEMO=1 would seed demo accounts with a published password, and {env}: "
                        "set HARMONY_DEMO=0.")
    if settings.base_url_is_default:
        problems.append(f"HARMONY_BASE_URL is not set ({env}; emailed links would point at "
                        f"{settings.harmony_base_url}): set HARMONY_BASE_URL=https://portal.example.org.")
    sender = parseaddr(settings.harmony_mail_from)[1]
    sender_domain = sender.rpartition("@")[2].lower() if "@" in sender else ""
    if not sender_domain or " " in sender_domain or sender_domain.endswith(".local"):
        problems.append(f"HARMONY_MAIL_FROM is {settings.harmony_mail_from!r} ({env}; relays refuse or file as spam "
                        "a sender outside your own domain): set HARMONY_MAIL_FROM='Harmony Portal "
                        "<no-reply@portal.example.org>'.")
    signing = {"HARMONY_SIGNING_CERT": settings.harmony_signing_cert,
               "HARMONY_SIGNING_KEY": settings.harmony_signing_key,
               "HARMONY_SIGNING_ROOTS": settings.harmony_signing_roots}
    for name, path in signing.items():
        if path is None or not Path(path).is_file():
            problems.append(f"{name} is {'not set' if path is None else f'{str(path)!r}, not a readable file'} ({env}; "
                            "Access Request forms are signed under the organization's own certificate): set "
                            f"{name}=/etc/harmony/signing/... (see docs/deployment.md, Signing certificate).")
    if not settings.harmony_rate_limits:
        problems.append("HARMONY_RATE_LIMITS=0 turns off the sign-in rate limits, which production needs: "
                        "unset it.")
    return problems


def write_private_file(path: Path, text: str = "") -> bool:
    """Create ``path`` readable by its owner only (0600) and write ``text``.

    Opened with that mode rather than chmod'ed afterwards, so no other user can open
    it in between. Returns False, writing nothing, when the file already exists.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    return True


def _inside(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def isolate_reflex_uploads(settings: Settings) -> Path:
    """Point Reflex's public upload folder (``REFLEX_UPLOADED_FILES_DIR``) at an empty folder of its own.

    Reflex serves everything under that folder at ``/_upload/...`` without sign-in, so it must
    never be, hold or sit inside the private attachment store. Refuses to run if it would.
    """
    public, private = settings.reflex_upload_dir, settings.upload_dir
    if _inside(public, private) or _inside(private, public):
        raise ConfigurationError(
            f"HARMONY_UPLOAD_DIR ({private}) must not contain or sit inside Reflex's public upload "
            f"folder ({public}): choose another folder for attachments.")
    os.environ["REFLEX_UPLOADED_FILES_DIR"] = str(public)
    return public


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests clear the cache to change them)."""
    return Settings()
