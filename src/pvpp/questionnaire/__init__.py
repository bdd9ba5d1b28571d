"""Self-assessment questionnaires: versioned definitions tied to a policy version."""

from pvpp.questionnaire.loader import (
    QuestionnaireError,
    QuestionnaireSpec,
    available_questionnaires,
    load_questionnaire,
    load_questionnaire_file,
)
from pvpp.questionnaire.models import AnswerField, FieldKind

__all__ = [
    "AnswerField",
    "FieldKind",
    "QuestionnaireError",
    "QuestionnaireSpec",
    "available_questionnaires",
    "load_questionnaire",
    "load_questionnaire_file",
]
