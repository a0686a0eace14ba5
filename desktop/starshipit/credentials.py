"""The two Starshipit keys: from STARSHIPIT_API_KEY and STARSHIPIT_SUBSCRIPTION_KEY when both are set,
otherwise from the operating system's keyring (`keyring`). Never stored in plain settings, never logged."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from typing import TYPE_CHECKING

from desktop.starshipit.errors import NotConfigured, StarshipitError

if TYPE_CHECKING:
    from types import ModuleType

log = logging.getLogger("desktop.starshipit")


def _keyring() -> ModuleType:
    """The keyring package, imported when the keys are first wanted (30 ms off the app's start)."""
    import keyring
    import keyring.errors

    return keyring

KEYRING_SERVICE = "customer-desk-starshipit"
API_KEY_ENTRY = "api-key"
SUBSCRIPTION_KEY_ENTRY = "subscription-key"
ENV_API_KEY = "STARSHIPIT_API_KEY"
ENV_SUBSCRIPTION_KEY = "STARSHIPIT_SUBSCRIPTION_KEY"
ENV_BASE_URL = "STARSHIPIT_BASE_URL"
ENV_RATE = "STARSHIPIT_RATE"


@dataclass(frozen=True)
class Keys:
    api_key: str
    subscription_key: str
    source: str = "keyring"  # or "environment"

    def __repr__(self) -> str:  # never the values
        return f"Keys(source={self.source!r})"

    __str__ = __repr__


class KeyringUnavailable(StarshipitError):
    def __init__(self, detail: str = ""):
        super().__init__(
            "This computer has no keyring to keep the Starshipit keys in"
            + (f" ({detail})" if detail else "")
            + ". Install or unlock one (Windows Credential Manager, macOS Keychain, GNOME Keyring or KWallet), "
              "or set STARSHIPIT_API_KEY and STARSHIPIT_SUBSCRIPTION_KEY in the environment."
        )


def keyring_problem() -> str | None:
    """None when a usable keyring back-end exists, else why not (for the settings dialog)."""
    try:
        backend = _keyring().get_keyring()
    except Exception as exc:  # noqa: BLE001 - a broken back-end is reported, not raised
        return str(exc) or type(exc).__name__
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if name.startswith(("keyring.backends.fail", "keyring.backends.null")) or getattr(backend, "priority", 1) <= 0:
        return "no keyring back-end was found"
    return None


def load_keys(env: Mapping[str, str] | None = None) -> Keys | None:
    """The keys to use, or None when none are set. The environment (both variables) wins."""
    env = os.environ if env is None else env
    api, sub = (env.get(ENV_API_KEY) or "").strip(), (env.get(ENV_SUBSCRIPTION_KEY) or "").strip()
    if api and sub:
        return Keys(api, sub, "environment")
    try:
        api = _keyring().get_password(KEYRING_SERVICE, API_KEY_ENTRY) or ""
        sub = _keyring().get_password(KEYRING_SERVICE, SUBSCRIPTION_KEY_ENTRY) or ""
    except _keyring().errors.KeyringError as exc:
        log.info("keyring not readable: %s", type(exc).__name__)
        return None
    if api and sub:
        return Keys(api, sub, "keyring")
    return None


def require_keys(env: Mapping[str, str] | None = None) -> Keys:
    keys = load_keys(env)
    if keys is None:
        raise NotConfigured()
    return keys


def save_keys(api_key: str, subscription_key: str) -> None:
    """Keep both keys in the keyring (raises KeyringUnavailable with a clear sentence when there is none)."""
    problem = keyring_problem()
    if problem:
        raise KeyringUnavailable(problem)
    try:
        _keyring().set_password(KEYRING_SERVICE, API_KEY_ENTRY, api_key.strip())
        _keyring().set_password(KEYRING_SERVICE, SUBSCRIPTION_KEY_ENTRY, subscription_key.strip())
    except _keyring().errors.KeyringError as exc:
        raise KeyringUnavailable(type(exc).__name__) from exc
    log.info("Starshipit keys saved in the keyring")


def clear_keys() -> None:
    for entry in (API_KEY_ENTRY, SUBSCRIPTION_KEY_ENTRY):
        try:
            _keyring().delete_password(KEYRING_SERVICE, entry)
        except _keyring().errors.PasswordDeleteError:
            pass
        except _keyring().errors.KeyringError as exc:
            raise KeyringUnavailable(type(exc).__name__) from exc
