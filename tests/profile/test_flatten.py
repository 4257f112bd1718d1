"""``flatten``'s written reader (``model._written_leaves``) against its loop, leaf by leaf."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mcn_advisor.profile import model
from mcn_advisor.profile.model import FIELDS
from tests.conftest import PROFILES, example

EXAMPLES = sorted(p.stem for p in PROFILES.glob("*.toml"))
WRITTEN = model._written_leaves()


def _both(profile):
    loop, written = model._leaves_read(profile), WRITTEN(profile)
    return (list(loop[0].items()), loop[1]), (list(written[0].items()), written[1])


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from(EXAMPLES),
    left_out=st.sets(st.sampled_from(sorted(FIELDS)), max_size=12),
    sections=st.sets(st.sampled_from(sorted({p.split(".", 1)[0] for p in FIELDS})), max_size=3),
)
def test_the_written_reader_reads_every_leaf_as_the_loop_does(name, left_out, sections):
    # Leaves left out (None: the assumed value, and listed as missing) and whole sections left
    # out, on every example profile: the same values, in the same order, and the same missing.
    profile = example(name)
    for section in sorted({p.split(".", 1)[0] for p in left_out}):
        part = getattr(profile, section)
        if part is not None:
            names = {p.split(".", 1)[1]: None for p in left_out if p.startswith(section + ".")}
            profile = profile.model_copy(update={section: part.model_copy(update=names)})
    profile = profile.model_copy(update=dict.fromkeys(sections))
    loop, written = _both(profile)
    assert written == loop
    assert [path for path, _ in written[0]] == list(FIELDS)


def test_a_section_made_without_some_fields_is_read_as_left_out():
    # A model built without validation may lack fields in its __dict__: the loop reads those.
    profile = example(EXAMPLES[0])
    part = type(profile.agency).model_construct(name="x")
    profile = profile.model_copy(update={"agency": part})
    loop, written = _both(profile)
    assert written == loop
    assert "agency.monthly_gmv_cny" in written[1]
