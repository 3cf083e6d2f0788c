"""`xmbench baselines` and the one-line errors of `xmbench train`."""

import pytest

from xmbench.cli import main


def test_baselines_lists_every_generator(capsys):
    assert main(["baselines"]) == 0
    out = capsys.readouterr().out
    for name in ("gan-int-cls", "stackgan", "dfgan", "real", "retrieval", "noise"):
        assert name in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "dfgn"], "unknown baseline 'dfgn'; did you mean 'dfgan'?"),
        (["train", "dfgan", "--loss", "hing"], "unknown loss 'hing'; did you mean 'hinge'?"),
        (["train", "noise"], "'noise' is a calibration generator"),
        (["train", "dfgan", "--suite", "shapez"], "unknown suite 'shapez'"),
        (["train", "show-attend-tell", "--option", "steps=10"], "the training budget is --steps N"),
        (["train", "gan-int-cls", "--until-plateau"], "add --eval-every N"),
        (["train", "show-attend-tell", "--eval-every", "5", "--until-plateau"], "add --option schedule=constant"),
        (["train", "dfgan", "--recipe", "shipped", "--until-plateau"], "drop --until-plateau"),
    ],
)
def test_train_bad_input_is_one_line(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
