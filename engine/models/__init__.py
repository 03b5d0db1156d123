"""The tables. Only this package defines them; importing it registers them all on ``Base``."""

from engine.models.access_log import AccessLog
from engine.models.case import Case
from engine.models.case_number import CaseNumberCounter
from engine.models.case_record import CaseRecord
from engine.models.deployment import Deployment, DeploymentFile, ProcessDefinition
from engine.models.event import Event
from engine.models.figure import FigureCase, FigureCell, FigureDirty
from engine.models.human_task import HumanTask
from engine.models.instance import InstanceCorrelation, ProcessInstance
from engine.models.message import Message
from engine.models.party import ApiToken, Organisation, User
from engine.models.referral_package import ReferralPackage
from engine.models.signal_batch import SignalBatch, SignalBatchRow

__all__ = [
    "AccessLog", "ApiToken", "Case", "Deployment", "DeploymentFile", "Event", "HumanTask",
    "InstanceCorrelation", "Message", "Organisation", "ProcessDefinition", "ProcessInstance",
    "User",
    "CaseNumberCounter", "CaseRecord", "ReferralPackage", "SignalBatch", "SignalBatchRow",
    "FigureCase", "FigureCell", "FigureDirty",
]
