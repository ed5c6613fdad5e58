"""Driving the pipeline's kernels on Kaggle through the official ``kaggle`` client.

``scripts/push.py`` is a thin CLI over this package: find credentials
(``require_credentials``), ``connect`` the official client (``KAGGLE_PIPELINE_API_URL``
redirects it), check the kernel folders (``preflight``), then ``run_push`` a ``KernelSet``.
The client itself is imported only by ``connect``, so ``--plan`` needs neither network nor
credentials.
"""

from host.kaggle_api.client import API_URL_ENV, api_base_url, connect
from host.kaggle_api.credentials import (Credentials, CredentialsError, find_credentials,
                                           local_username, require_credentials)
from host.kaggle_api.kernel_set import KernelSet
from host.kaggle_api.metadata import MetadataError, MetadataRules, validate_kernels
from host.kaggle_api.orchestrate import (PushFailed, PushOptions, PushReport, preflight,
                                           run_push)
from host.kaggle_api.plan_view import format_plan
from host.kaggle_api.retry import RetriesExhausted, RetryPolicy
from host.kaggle_api.service import (KaggleCallError, KaggleService, PushRejected,
                                       SubmissionUnknown)
from host.kaggle_api.train_runs import TrainingUnfinished, TrainRun
from host.kaggle_api.waiting import PollSettings

__all__ = [
    "API_URL_ENV", "api_base_url", "connect",
    "Credentials", "CredentialsError", "find_credentials", "local_username",
    "require_credentials",
    "KernelSet", "MetadataError", "MetadataRules", "validate_kernels",
    "PushFailed", "PushOptions", "PushReport", "preflight", "run_push", "format_plan",
    "RetriesExhausted", "RetryPolicy", "KaggleCallError", "KaggleService", "PushRejected",
    "SubmissionUnknown", "TrainingUnfinished", "TrainRun", "PollSettings",
]
