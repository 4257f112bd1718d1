"""``Text``: a text in every language a report can be written in (a pack's titles,
rationales, labels, KPIs...). Held whole in the assessment; a renderer picks one language.
"""

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    SerializationInfo,
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

    # ``text[lang]``: the attribute, read without a Python call (a report reads some 500).
    __getitem__ = object.__getattribute__

    # Plain, not wrap: a report's JSON holds some 200 texts, and a wrap serializer's handler
    # (built for each call, used only without a language) costs a third of their share.
    @model_serializer(mode="plain")
    def _in_language(self, info: SerializationInfo) -> Any:
        lang = (info.context or {}).get("lang")
        return getattr(self, lang) if lang else {"en": self.en, "zh": self.zh}
