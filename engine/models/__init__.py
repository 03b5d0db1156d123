"""The tables. Only this package defines them; importing it registers them all on ``Base``."""

from engine.models.access_log import AccessLog, AccessLogCase, AccessLogHead
from engine.models.break_glass import BreakGlassGrant
from engine.models.case import Case
from engine.models.case_number import CaseNumberCounter
from engine.models.case_record import CaseRecord
from engine.models.deployment import Deployment, DeploymentFile, ProcessDefinition
from engine.models.draft import Draft, DraftFile
from engine.models.event import Event
from engine.models.figure import FigureCase, FigureCell, FigureDirty
from engine.models.human_task import HumanTask
from engine.models.instance import InstanceCorrelation, ProcessInstance
from engine.models.job_watermark import JobWatermark
from engine.models.message import Message
from engine.models.migration_job import MigrationJob, MigrationJobItem
from engine.models.outbox import MailPreference, OutboxMail
from engine.models.party import ApiToken, Organisation, User
from engine.models.referral_package import ReferralPackage
from engine.models.signal_batch import SignalBatch, SignalBatchRow
from engine.models.worker_heartbeat import WorkerHeartbeat

__all__ = [
    "AccessLog", "AccessLogCase", "AccessLogHead", "ApiToken", "BreakGlassGrant",
    "Case", "Deployment", "DeploymentFile", "Draft", "DraftFile", "Event",
    "HumanTask",
    "InstanceCorrelation", "JobWatermark", "MailPreference", "Message", "OutboxMail",
    "Organisation", "ProcessDefinition", "ProcessInstance",
    "User",
    "CaseNumberCounter", "CaseRecord", "FigureCase", "FigureCell", "FigureDirty",
    "MigrationJob", "MigrationJobItem", "ReferralPackage", "SignalBatch", "SignalBatchRow",
    "WorkerHeartbeat",
]
