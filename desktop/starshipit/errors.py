"""What can go wrong talking to Starshipit, each a sentence for the clerk (`str(error)`).

Plain exceptions: this package imports nothing of the services, the store or Qt. The services turn them into
DomainErrors of the same classes (desktop/services/shipping_errors.py), so that the CLI prints them as one line
and the app shows them in a message box.
"""

from __future__ import annotations

from collections.abc import Sequence


class StarshipitError(Exception):
    """Base of every Starshipit failure; `str(error)` is a sentence for the clerk. `retryable`: trying again
    later may well work."""

    retryable = False


class Cancelled(Exception):
    """The client's `cancel` event was set: it stopped before sending the next request (or while waiting for
    one). Not a StarshipitError: nothing went wrong."""

    def __init__(self) -> None:
        super().__init__("Cancelled: nothing was changed.")


class NotConfigured(StarshipitError):
    def __init__(self, detail: str = ""):
        super().__init__(
            "Starshipit keys are not set: enter the API key and the subscription key in Settings → Starshipit "
            "(or set STARSHIPIT_API_KEY and STARSHIPIT_SUBSCRIPTION_KEY)." + (f" {detail}" if detail else "")
        )


class KeyProblem(StarshipitError):
    """401/403: the keys are wrong, expired, or lack the permission."""

    def __init__(self, status: int, message: str = ""):
        self.status = status
        said = f" (Starshipit said: {message})" if message else ""
        super().__init__(
            f"Starshipit refused the keys (HTTP {status}){said}. Check the API key and the subscription key "
            "in Settings → Starshipit: both come from Starshipit's Settings → API page."
        )


class StarshipitRejected(StarshipitError):
    """Starshipit answered and said no (a 4xx or `success: false`): the request itself must change."""

    def __init__(self, status: int, messages: Sequence[str]):
        self.status = status
        self.messages = [m for m in messages if m] or [f"HTTP {status}"]
        super().__init__(f"Starshipit refused it: {'; '.join(self.messages)}")


class StarshipitUnavailable(StarshipitError):
    """Could not get an answer after the bounded retries (timeouts, 5xx, 429, dropped connections)."""

    retryable = True

    def __init__(self, reason: str, attempts: int):
        self.reason = reason
        self.attempts = attempts
        super().__init__(
            f"Starshipit could not be reached ({reason}; {attempts} attempt{'s' if attempts != 1 else ''}). "
            "Nothing is lost: try again later."
        )


class OutcomeUnknown(StarshipitError):
    """A create request may or may not have been carried out (timeout or 5xx after sending it). The caller
    must look the order up before sending it again."""

    retryable = True

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"Starshipit did not confirm the request ({reason}); it will be checked before "
                         "sending again.")


class BadResponse(StarshipitError):
    retryable = True

    def __init__(self, status: int, detail: str):
        self.status = status
        super().__init__(f"Starshipit sent an answer that cannot be read (HTTP {status}: {detail}).")


class InvalidShipment(StarshipitError):
    """A fulfilment that cannot be sent as it is: each problem names the field."""

    def __init__(self, fulfillment_number: str, problems: Sequence[str]):
        self.fulfillment_number = fulfillment_number
        self.problems = list(problems)
        super().__init__(
            f"Fulfilment {fulfillment_number} cannot be sent to Starshipit: {'; '.join(self.problems)}."
        )
