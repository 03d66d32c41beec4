"""Licet: license access for protected software, through the local licetd.

    with licet.access(firm_code=6000010, product_code=201010) as lic:
        ciphertext, iv, tag = lic.encrypt(b"secret")
        assert lic.decrypt(ciphertext, iv, tag) == b"secret"

Every failure raises LicetError (or a subclass) carrying the LICET_ERROR_* ``code`` of
licet.h and licetd's one-line ``message``.
"""

import datetime
from collections.abc import Iterator
from typing import Any, Literal, overload

from typing_extensions import Buffer

__version__: str

Mode = Literal["user-limit", "station-share", "exclusive", "no-user-limit"]
Where = Literal["local", "lan", "local-lan", "lan-local"]

MODE_USER_LIMIT: int
MODE_STATION_SHARE: int
MODE_EXCLUSIVE: int
MODE_NO_USER_LIMIT: int
WHERE_LOCAL: int
WHERE_LAN: int
WHERE_LOCAL_LAN: int
WHERE_LAN_LOCAL: int
CRYPT_MAX_LEN: int

ERROR_INVALID_ARGUMENT: int
ERROR_IO: int
ERROR_CORRUPT_DATA: int
ERROR_UNSUPPORTED_VERSION: int
ERROR_DECRYPT_FAILED: int
ERROR_NOT_FOUND: int
ERROR_PERMISSION_DENIED: int
ERROR_INTERNAL: int
ERROR_UNAVAILABLE: int
ERROR_UNTRUSTED_SIGNER: int
ERROR_UNIT_COUNTER_ZERO: int
ERROR_FEATURE_MISSING: int
ERROR_EXPIRED: int
ERROR_NOT_YET_ACTIVE: int
ERROR_CLOCK_SET_BACK: int
ERROR_USAGE_PERIOD_OVER: int
ERROR_MAINTENANCE_OVER: int
ERROR_CHECKPOINT_OVERDUE: int
ERROR_PROTOCOL: int
ERROR_ENTRY_NOT_FOUND: int
ERROR_CONTAINER_NOT_FOUND: int
ERROR_FIRM_NOT_FOUND: int
ERROR_NO_MORE_LICENSES: int
ERROR_EXCLUSIVE_CONFLICT: int
ERROR_WRONG_ACCESS_MODE: int
ERROR_ACCESS_DENIED: int
ERROR_BORROW_NOT_ALLOWED: int
ERROR_BORROW_TOO_LONG: int

class LicetError(Exception):
    """A Licet call failed: ``code`` is the LICET_ERROR_* number, ``message`` says why."""

    code: int
    message: str
    def __init__(self, code: int, message: str = "") -> None: ...

class InvalidArgumentError(LicetError, ValueError):
    """Code 1: an argument is out of range."""

class DecryptFailedError(LicetError):
    """Code 6: the GCM tag does not match (other key or iv, or tampered data)."""

class NotFoundError(LicetError):
    """Codes 10, 200, 201, 202: no such handle, product item, container or firm item."""

class AccessDeniedError(LicetError):
    """Codes 11, 231."""

class UnavailableError(LicetError):
    """Code 15: licetd is not running or the connection to it was lost."""

class UntrustedSignerError(LicetError):
    """Code 17: the firm item does not carry the pinned firm key."""

class UnitCounterZeroError(LicetError):
    """Code 32: not enough units left."""

class FeatureMissingError(LicetError):
    """Code 33: a requested feature bit is not licensed."""

class ExpiredError(LicetError):
    """Code 35."""

class NotYetActiveError(LicetError):
    """Code 37."""

class ClockSetBackError(LicetError):
    """Code 38."""

class UsagePeriodOverError(LicetError):
    """Code 39."""

class MaintenanceOverError(LicetError):
    """Code 40: this release is newer than the maintenance period."""

class NoMoreLicensesError(LicetError):
    """Code 212: every seat is taken."""

class ExclusiveConflictError(LicetError):
    """Code 213."""

class WrongAccessModeError(LicetError):
    """Code 223."""

class ProtocolError(LicetError):
    """Code 102."""

class Encrypted:
    """Result of License.encrypt; unpacks as ``ciphertext, iv, tag = ...``."""

    @property
    def ciphertext(self) -> bytes: ...
    @property
    def iv(self) -> bytes: ...
    @property
    def tag(self) -> bytes: ...
    def __iter__(self) -> Iterator[bytes]: ...
    def __len__(self) -> int: ...

class ItemInfo:
    """The product item behind a License. Unset limits are None; times are Unix times."""

    @property
    def serial(self) -> str: ...
    @property
    def firm_code(self) -> int: ...
    @property
    def product_code(self) -> int: ...
    @property
    def feature_map(self) -> int: ...
    @property
    def unit_counter(self) -> int | None: ...
    @property
    def expiration(self) -> int | None: ...
    @property
    def activation_time(self) -> int | None: ...
    @property
    def usage_period(self) -> int | None: ...
    @property
    def usage_started(self) -> int | None: ...
    @property
    def maintenance_until(self) -> int | None: ...
    @property
    def license_quantity(self) -> int: ...
    @property
    def access_modes(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def protected_data(self) -> bytes: ...
    def as_dict(self) -> dict[str, Any]: ...

class License:
    """A granted access (a lease in licetd). A context manager: leaving the with block
    releases it; so do release() and garbage collection. Usable from several threads."""

    def __enter__(self) -> License: ...
    def __exit__(self, exc_type: object, exc: object, tb: object) -> bool: ...
    def release(self) -> None:
        """Releases the lease; does nothing when already released."""
    @property
    def released(self) -> bool: ...
    @property
    def firm_code(self) -> int: ...
    @property
    def product_code(self) -> int: ...
    @property
    def info(self) -> ItemInfo:
        """The product item's current properties (asks licetd)."""
    def decrement_units(self, n: int = 1) -> int:
        """Takes n units atomically and returns the units left; UnitCounterZeroError
        (nothing taken) when fewer than n are left."""
    def encrypt(
        self, data: Buffer, *, encryption_code: int = 0, feature_code: int = 0, iv: Buffer | None = None
    ) -> Encrypted:
        """AES-256-GCM with the license's key (derived from the item's secret, the firm,
        product, feature and encryption codes). A random 12-byte iv unless one is given;
        never reuse an iv with the same key."""
    @overload
    def decrypt(
        self, ciphertext: Buffer, iv: Buffer, tag: Buffer, *, encryption_code: int = 0, feature_code: int = 0
    ) -> bytes: ...
    @overload
    def decrypt(self, encrypted: Encrypted, *, encryption_code: int = 0, feature_code: int = 0) -> bytes: ...
    def crypt_direct(self, data: Buffer, iv: Buffer, *, encryption_code: int = 0, feature_code: int = 0) -> bytes:
        """AES-256-CTR from iv: the same call encrypts and decrypts; no integrity tag."""

def access(
    firm_code: int,
    product_code: int,
    feature_code: int = 0,
    *,
    mode: Mode | int = "user-limit",
    where: Where | int = "local",
    release_date: int | datetime.datetime | datetime.date | None = None,
    serial: str | None = None,
    firm_key: bytes | str | None = None,
    server: str | None = None,
) -> License:
    """Accesses a product item through licetd ($LICET_SOCKET or the default socket).
    licetd checks features, time limits, units, maintenance (against release_date), the
    pinned firm key (32 bytes or 64 hex digits), access mode and seats."""

def list() -> dict[str, Any]:
    """The containers of this machine and their items (the shape of `licet list --json`)."""

def strerror(code: int) -> str: ...
def version() -> str: ...
