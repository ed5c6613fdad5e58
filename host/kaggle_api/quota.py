"""The weekly GPU and TPU hours, checked before a push spends them.

Kaggle gives every account a weekly quota per accelerator pool (about 30 GPU hours and 20 TPU
hours); ``kaggle quota`` (the client's ``quota_view``) says what is used, reserved by running
sessions and allowed. ``check_push_quota`` reads it, estimates what the push needs
(``host.kaggle_api.quota_need``), prints both numbers per pool, and refuses a push that needs
more than is left, or whose quota cannot be read, before anything is uploaded; ``--ignore-
quota`` (``ignore=True``) prints what it can and goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from host.kaggle_api.kernel_set import KernelSet
from host.kaggle_api.quota_need import KernelNeed, kernel_need
from host.kaggle_api.retry import RetriesExhausted
from host.kaggle_api.service import KaggleCallError, KaggleService

__all__ = ["QuotaLeft", "QuotaExceeded", "QuotaUnreadable", "quota_left", "read_quota",
           "check_quota", "check_push_quota", "POOLS"]

POOLS = ("gpu", "tpu")
IGNORE = "--ignore-quota"


class QuotaExceeded(ValueError):
    """The push would need more accelerator hours than are left this week."""


class QuotaUnreadable(RuntimeError):
    """Kaggle's quota could not be read, so the push could not be checked against it."""


@dataclass(frozen=True)
class QuotaLeft:
    """Hours left this week per pool (None: Kaggle reported no such pool), and when the
    week's quota refreshes."""

    gpu: float | None
    tpu: float | None
    refresh: str = ""

    def left(self, pool: str) -> float | None:
        return getattr(self, pool)


def _hours(pool: Any) -> float | None:
    if pool is None:
        return None
    total, used = pool.total_time_allowed, pool.time_used
    if total is None:
        return None
    reserved = pool.time_reserved
    spent = sum((t.total_seconds() for t in (used, reserved) if t is not None), 0.0)
    return max(0.0, (total.total_seconds() - spent) / 3600)


def quota_left(response: Any) -> QuotaLeft:
    """``QuotaLeft`` of the client's ``ApiGetAcceleratorQuotaStatisticsResponse``: allowed less
    used less reserved by running sessions."""
    refresh = response.quota_refresh_time
    return QuotaLeft(gpu=_hours(response.gpu_quota), tpu=_hours(response.tpu_quota),
                     refresh=refresh.isoformat(timespec="minutes") if refresh else "")


def read_quota(service: KaggleService) -> QuotaLeft:
    """This week's hours left; ``QuotaUnreadable`` when Kaggle's answer cannot be had or
    read (an HTML page instead of JSON, a malformed duration, a refused call)."""
    try:
        return quota_left(service.quota())
    except (ValueError, TypeError, AttributeError, KeyError, KaggleCallError,
            RetriesExhausted) as exc:
        raise QuotaUnreadable(
            f"Kaggle's weekly quota could not be read ({type(exc).__name__}: {exc}), so this "
            f"push was not checked against it and nothing was uploaded. Check it with "
            f"'kaggle quota', then re-run with {IGNORE} to push without the check") from None


def check_quota(left: QuotaLeft, needs: list[KernelNeed], *, ignore: bool = False,
                say: Callable[[str], None] = print) -> None:
    """Print the need and what is left per pool the push uses; ``QuotaExceeded`` when the
    need is larger (unless ``ignore``)."""
    refresh = f"; the quota refreshes {left.refresh}" if left.refresh else ""
    short = []
    for pool in POOLS:
        mine = [n for n in needs if n.pool == pool]
        if not mine:
            continue
        need, have = sum(n.hours for n in mine), left.left(pool)
        label = pool.upper()
        have_text = (f"{have:.2f} {label} hours are left this week" if have is not None
                     else f"Kaggle reported no {label} quota")
        say(f"quota: this push needs about {need:.2f} {label} hours at most; {have_text}"
            f"{refresh}")
        for n in mine:
            say(f"  {n.describe()}")
        if have is None or need > have:
            short.append(f"about {need:.2f} {label} hours needed, "
                         + (f"{have:.2f} left" if have is not None else "none reported"))
    if short and not ignore:
        raise QuotaExceeded(
            "this push would need more accelerator time than is left this week ("
            + "; ".join(short) + f"{refresh}): nothing was uploaded. Wait for the refresh, "
            f"lower [train] epochs, or pass {IGNORE} to push anyway")
    if short:
        say(f"note: {IGNORE}: pushing although " + "; ".join(short))


def check_push_quota(service: KaggleService, kernels: KernelSet, *, owner: str,
                     default_epochs: int, ignore: bool = False,
                     say: Callable[[str], None] = print) -> list[KernelNeed]:
    """The whole check for ``kernels`` (see the module docstring); the needs estimated."""
    needs = [n for k in kernels.kernels
             if (n := kernel_need(service, k, f"{owner}/{k.slug}", default_epochs))]
    if not needs:
        return needs
    try:
        left = read_quota(service)
    except QuotaUnreadable as exc:
        if not ignore:
            raise
        say(f"note: {exc}; {IGNORE}: pushing without the check")
        return needs
    check_quota(left, needs, ignore=ignore, say=say)
    return needs
