from babelmill.stages.repair import RepairConfig, RepairStage, repair_text
from tests.conftest import make_doc


def test_double_encoded_utf8_is_repaired():
    assert repair_text("GrÃ¶ÃŸe und StraÃŸe", RepairConfig())[0] == "Größe und Straße"


def test_entities_and_control_characters_are_fixed():
    text, steps = repair_text("Tom &amp; Jerry\x07", RepairConfig())
    assert text == "Tom & Jerry"
    assert steps


def test_typography_and_chinese_are_left_alone():
    for line in [
        "“Curly quotes” and ‘single’ ones – and dashes",
        "创始团队出走殆尽、Altman孤家寡人，高光时刻，OpenAI为何却“分崩离析”",
        "全角：ＡＢＣ１２３！",
        "„Deutsche Anführungszeichen“ bleiben",
    ]:
        assert repair_text(line, RepairConfig())[0] == line


def test_stage_records_which_lines_it_fixed():
    doc = make_doc(text="fine line\nGrÃ¶ÃŸe\nanother fine line")
    (out,) = list(RepairStage().run([doc]))
    assert out.text == "fine line\nGröße\nanother fine line"
    change = out.history[-1]
    assert (change.stage, change.reason) == ("repair", "encoding_damage")
    assert change.detail["lines"][0]["line"] == 2


def test_stage_leaves_clean_text_and_history_untouched():
    doc = make_doc(text="Nothing to fix here.")
    (out,) = list(RepairStage().run([doc]))
    assert out.text == "Nothing to fix here." and out.history == []
