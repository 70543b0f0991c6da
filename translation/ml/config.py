"""Configs of the continuous translator (seed 004 encoder-decoder + seed 002 joint CTC).

Frozen dataclasses in the one config style (mlcore.config): written into bundles with
`to_dict`, read back with the strict `from_dict` (an unknown key is an error). A bundle's whole
config.json is a TranslationBundleConfig.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from mlcore.config import Config

InputKind = Literal["gloss", "landmarks"]


@dataclass(frozen=True)
class ModelConfig(Config):
    """Shape of the encoder-decoder. The defaults are a small CPU model."""

    input_kind: InputKind = "gloss"  # "gloss": token ids in; "landmarks": per-frame features in
    src_vocab_size: int = 0  # gloss vocabulary incl. <pad>=0, <unk>=1 (input_kind="gloss")
    input_dim: int = 0  # per-frame feature width before velocity (input_kind="landmarks")
    velocity: bool = False  # append frame-to-frame differences of the features (seed 002 motion)
    tgt_vocab_size: int = 1000  # SentencePiece pieces incl. pad=0, unk=1, bos=2, eos=3
    d_model: int = 256  # reference size (seed 004): 512
    n_heads: int = 4  # reference: 8
    n_enc_layers: int = 3  # reference: 6
    n_dec_layers: int = 3  # reference: 6
    d_ff: int = 1024  # reference: 2048
    dropout: float = 0.3  # small corpora overfit fast; 0.3 is the usual gloss2text setting
    attn_dropout: float = 0.1  # dropout on attention weights
    pre_norm: bool = True  # pre-LayerNorm trains without warm-up tricks; False = post-LN (2017)
    max_src_len: int = 512  # positions of the sinusoidal table on the source side
    max_tgt_len: int = 128  # longest decoded output (pieces, excl. bos)
    ctc_vocab_size: int = 0  # CTC glosses incl. blank=0, <unk>=1; 0 = no CTC head
    tie_embeddings: bool = True  # output projection shares the target embedding matrix
    # Gloss input: add the target embedding of the German word a gloss spells (REGEN -> regen)
    # to the gloss embedding, so the 70% of glosses that name a word start from its meaning.
    share_gloss_text: bool = False
    label_smoothing: float = 0.1  # of the text cross-entropy
    ce_weight: float = 1.0  # weight of the text cross-entropy in the joint loss
    ctc_weight: float = 0.0  # weight of the CTC gloss loss (seed 002); needs ctc_vocab_size > 0

    @property
    def frame_dim(self) -> int:
        """Width of one source frame as the model sees it (velocity doubles it)."""
        return self.input_dim * (2 if self.velocity else 1)


# The size of seed 004 (Vaswani base); far too slow to train on the 2-core CPU we have.
REFERENCE_MODEL = ModelConfig(d_model=512, n_heads=8, n_enc_layers=6, n_dec_layers=6, d_ff=2048)


@dataclass(frozen=True)
class TrainConfig(Config):
    """Optimisation and loss settings of `slrweb train-translation`."""

    epochs: int = 60  # upper bound; early stopping usually ends sooner
    batch_size: int = 64  # sentences (or sequences) per step
    lr: float = 5e-4  # peak learning rate after warm-up
    warmup_steps: int = 800  # linear warm-up, then inverse square-root decay
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    patience: int = 8  # evaluations without dev improvement before stopping
    select_metric: str = "bleu4"  # "bleu4" (higher is better) or "cer" (single words: lower)
    plateau_factor: float = 1.0  # <1: on a dev plateau, restart from the best weights, lr x this
    eval_every: int = 1  # epochs between dev evaluations (greedy, cheap)
    final_beam_size: int = 4  # beam used for the reported dev metrics
    length_penalty: float = 1.0  # GNMT alpha for the final beam search
    seed: int = 1
    num_threads: int = 1  # torch CPU threads; >1 thrashes when other jobs share the CPU
    max_minutes: float = 0.0  # wall-clock budget; 0 = none
    unk_dropout: float = 0.0  # gloss input: share of training glosses replaced by <unk>
    # After warm-up: "inverse_sqrt" decay or "constant" (e.g. continuing a trained model at a
    # small step whose epochs are then averaged).
    schedule: str = "inverse_sqrt"
    # >0: the result is the average of the weights of the last K epochs (checkpoint
    # averaging; each epoch's weights are kept beside the checkpoint), not the best epoch.
    average_last: int = 0


@dataclass(frozen=True)
class DecodeConfig(Config):
    """How a bundle decodes by default (config.json "decode"); callers may override."""

    beam_size: int = 4  # 1 = greedy
    length_penalty: float = 1.0  # GNMT alpha of beam search
    max_len_a: float = 0.0  # per-row cap a * source length + b on output pieces; a=0: none
    max_len_b: int = 0
    # per-row floor: no eos before floor(a * source length) pieces (a=0: none); a length prior
    # for corpora whose text is much longer than its glosses (NCSLGR: ~1.85 words per gloss)
    min_len_a: float = 0.0
    # >0: the beam's finished candidates are reranked by forward score + this x the bundle's
    # reverse model's log-probability of the glosses per piece (translation.ml.rerank)
    rerank_weight: float = 0.0


@dataclass(frozen=True)
class LandmarkFeatures(Config):
    set: str = ""  # translation.ml.features.FEATURE_SET the model was trained on
    # Trained on video landmarks with the hands Holistic lost recovered (landmarks.hands): the
    # letter videos of --letter-video were extracted that way.
    hand_recovery: bool = False


@dataclass(frozen=True)
class ReaderConfig(Config):
    """How the fingerspeller reads a long clip (translation.ml.windows.read_letters)."""

    kind: str = "ctc-windows"
    window: int = 64  # frames per window
    overlap: int = 24  # frames shared by neighbouring windows
    tolerance: int = 12  # frames within which two windows' emissions are one letter
    # The frame rate the speller was trained at: a clip at a lower rate (a job's 15 fps) is
    # upsampled to it before reading (translation.ml.windows.upsample). None: read as it comes.
    fps: float | None = None


@dataclass(frozen=True)
class TranslationBundleConfig(Config):
    """config.json of a translation or fingerspelling bundle."""

    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    decode: DecodeConfig = field(default_factory=DecodeConfig)
    gloss_vocab_role: str = "source"  # glosses.txt: the source vocabulary or the CTC labels
    gloss_normalizer: str | None = None  # translation.ml.glossnorm name (gloss input)
    features: LandmarkFeatures | None = None  # landmarks input
    reader: ReaderConfig | None = None  # fingerspelling
    # fingerspelling: the translation.ml.fingerspell.SynthesisConfig its training phrases were
    # drawn from (a record for reproducing the run; reading ignores it)
    synthesis: dict[str, Any] | None = None
    # members decoded together (translation.ml.ensemble); 1 = one model
    ensemble: int = 1
    # a text->gloss model inside the bundle that reranks the beam (translation.ml.rerank)
    reverse: ModelConfig | None = None


def tiny_model_config(**overrides: Any) -> ModelConfig:
    """A model small enough for unit tests (a few thousand parameters)."""
    base = ModelConfig(
        d_model=32, n_heads=4, n_enc_layers=2, n_dec_layers=2, d_ff=64, dropout=0.0,
        attn_dropout=0.0, max_src_len=64, max_tgt_len=32,
    )
    return replace(base, **overrides)
