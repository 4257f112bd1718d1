"""``Text``: a text in every language a report can be written in (a pack's titles,
rationales, labels, KPIs...). Held whole in the assessment; a renderer picks one language.
"""

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
)

NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class Text(BaseModel):
    """A text in every language a report can be written in.

    Dumped with ``context={"lang": "zh"}`` it becomes the plain string in that language.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    en: NonEmpty
    zh: NonEmpty

    def __getitem__(self, lang: str) -> str:
        return getattr(self, lang)

    @model_serializer(mode="wrap")
    def _in_language(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        lang = (info.context or {}).get("lang")
        return getattr(self, lang) if lang else handler(self)
