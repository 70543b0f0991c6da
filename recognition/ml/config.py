"""Configuration of the isolated-sign recognizer: one frozen dataclass per concern.

The whole IsolatedConfig is what a bundle's config.json holds (`to_dict`), so a predictor
rebuilds exactly the features, model and spotting rules it was trained with; `from_dict` is the
strict loader of mlcore.config (an unknown key anywhere is an error).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mlcore.config import Config

# Upper body of the 33 pose points (0-22: face, shoulders, arms, hands; 23-24: hips). Legs are
# mostly out of frame when people sign to a camera.
UPPER_BODY = tuple(range(25))

# A small face subset with known left/right counterparts (so mirroring can swap them): lips,
# eyes, eyebrows, nose, face outline. The full 468-point mesh costs 1404 inputs per frame for
# little gain on hand-shape vocabularies.
FACE_SUBSET = (
    61, 291, 0, 17, 13, 14, 78, 308, 40, 270, 91, 321,  # lips
    33, 263, 133, 362, 159, 386, 145, 374,  # eyes
    70, 300, 105, 334, 107, 336,  # eyebrows
    1, 4, 10, 152, 234, 454,  # nose, forehead, chin, cheeks
)


@dataclass(frozen=True)
class FeatureConfig(Config):
    # Part tokens of the model, in order; any subset of pose, face, left_hand, right_hand.
    parts: tuple[str, ...] = ("pose", "face", "left_hand", "right_hand")
    pose_points: tuple[int, ...] = UPPER_BODY
    face_points: tuple[int, ...] = FACE_SUBSET
    # Append each wrist's position relative to the shoulders (needs pose; 0 when absent).
    hand_location: bool = True
    # Keep only the signing hand, mirrored into the right-hand slot (hands-only models trained
    # on one-handed data, e.g. the ASL alphabet images).
    dominant_hand: bool = False
    # Mirror a clip (both hands kept, left/right points swapped) whose signing hand is the left
    # one, so the dominant hand is always in the right-hand slot: left-handed signers and
    # cameras that mirror or not look alike (features.canonical_handedness).
    canonical_hand: bool = False
    # The model reads video landmarks with the hands Holistic lost found again by MediaPipe
    # Hands (landmarks.hands): extraction for it recovers them (training frames, `slrweb
    # recognize`, jobs of its language), and a model without it never sees recovered hands.
    hand_recovery: bool = False


@dataclass(frozen=True)
class ModelConfig(Config):
    part_names: tuple[str, ...] = ()  # filled from FeatureConfig.parts
    part_dims: tuple[int, ...] = ()  # static features per part, filled from features.py
    num_classes: int = 0  # filled from the vocabulary
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    mlp_ratio: int = 2
    dropout: float = 0.1
    max_frames: int = 128  # longer clips are resampled to this many frames
    velocity: bool = True  # append frame-to-frame differences (motion features, seed 002)
    cross_modal: bool = True  # seed 003 gated cross-modal attention (hands <-> body)
    cross_modal_heads: int = 4  # reduced with a warning until it divides every width


@dataclass(frozen=True)
class AugmentConfig(Config):
    speed: tuple[float, float] = (0.7, 1.4)  # temporal resampling factor range
    frame_drop: float = 0.1  # probability of dropping each frame (at least one is kept)
    noise: float = 0.003  # std of Gaussian noise on image-normalised coordinates
    rotate_deg: float = 12.0  # max in-plane rotation
    scale: tuple[float, float] = (0.85, 1.15)  # x and y scaled independently (aspect ratios)
    mirror: float = 0.5  # probability of mirroring with hand swap (left-handed signers)
    shift: float = 0.05  # max translation, image fraction
    # Signer variation (all off by default): palm size factor range, max relative change of
    # each finger's length, max camera yaw/pitch (3-D rotation, degrees), probability of a hand
    # detected with the wrong chirality (mirrored in place, slots kept), and the range of the
    # image's x stretch relative to the training data (log-uniform): a camera with another
    # aspect ratio (image-normalised x is x / width, so a square video's hands look wider than a
    # 16:9 video's).
    palm_scale: tuple[float, float] = (1.0, 1.0)
    finger_scale: float = 0.0
    rotate3d_deg: float = 0.0
    chirality: float = 0.0
    aspect: tuple[float, float] = (1.0, 1.0)


@dataclass(frozen=True)
class TrainConfig(Config):
    epochs: int = 30
    steps_per_epoch: int = 100
    batch_size: int = 32
    lr: float = 2e-3
    weight_decay: float = 1e-2
    warmup_steps: int = 100
    label_smoothing: float = 0.1
    clip_min: int = 1  # training clip length range, frames (T=1 = a single image)
    clip_max: int = 16
    # Evaluation clip lengths (non-overlapping pieces of held-out runs); the first one selects
    # the best epoch on the validation split. 1 = single frames, as the baseline sees them.
    eval_clip_lens: tuple[int, ...] = (1, 8)
    seed: int = 0
    # Split of each run into contiguous blocks ("blocks"), of whole runs ("sequences"), or of
    # whole signers ("participants": n_blocks groups of people, see recognition.ml.participants),
    # or none at all ("none": every frame trains, the last epoch is kept; the final weights of a
    # configuration chosen and measured with a held-out split).
    split: str = "blocks"
    n_blocks: int = 5
    # val_block -1 (split "participants"): no validation group; its people train too and the
    # last epoch's weights are kept (a schedule fixed in advance, more signers to learn from).
    val_block: int = 1
    test_block: int = 3
    gap: int = 1  # frames dropped from training on each side of a held-out block
    # landmarks.recode presets: video-frame data (format "frames") is also read through each of
    # these lossy codecs, and those copies train where their frames train (Run.augmented).
    recoded: tuple[str, ...] = ()
    # Train the no-sign class `_` (transition frames + synthetic ones, recognition.ml.transitions)
    # and keep only these labels of the data (empty: all), e.g. static letters without J and Z.
    no_sign: bool = False
    # Synthetic `_` transitions (interpolated between two letters' frames) per letter.
    synthetic_transitions: int = 2
    labels: tuple[str, ...] = ()
    # Whole-sign clips: trim hand-less frames at both ends, resample to at most model.max_frames
    # (at loading, for training and evaluation alike; recognition.ml.participants.prepare_runs).
    whole_clips: bool = False
    # "frames": logistic regression per frame; "clip-stats": on per-clip landmark statistics.
    baseline: str = "frames"


@dataclass(frozen=True)
class SpottingConfig(Config):
    window: int = 8  # frames per sliding window
    stride: int = 2
    min_prob: float = 0.5  # below this top-1 probability a window is "no sign"
    min_active: float = 0.5  # fraction of a window's frames that need a hand in signing space
    rest_margin: float = 1.6  # a wrist lower than this many shoulder widths below them rests
    min_windows: int = 2  # shorter runs of one gloss are dropped as noise
    # Viterbi decoding (recognition.ml.spotting): nats paid per change of state (hysteresis);
    # measured hold of each vocabulary entry in seconds (filled by training, 0 = unknown); a
    # run this many times its expected hold is the gloss signed repeatedly (0 = never split).
    switch_cost: float = 0.3
    hold_seconds: tuple[float, ...] = ()
    double_hold_ratio: float = 1.7
    # A run shorter than this many times its gloss's expected hold is no sign (0 = keep all).
    min_hold_ratio: float = 0.0
    # A run shorter than its gloss's expected hold whose windows give that gloss a mean
    # probability below this is no sign either (0 = keep all): windows straddling the cut from
    # one letter to the next read as a third letter with little confidence.
    min_run_prob: float = 0.0
    # A window inside a run of one gloss that gives no sign at least this probability, and more
    # than that gloss, splits the run in two when both sides last min_hold_ratio x the gloss's
    # expected hold: the release and re-forming of a double letter (0 = never).
    dip_prob: float = 0.0
    # The frame rate the windows were trained at (SILFA's letter videos: 30 fps). A clip read at
    # a lower rate (jobs and `slrweb recognize` extract 15 fps) is first upsampled by the
    # nearest whole factor (LandmarkSequence.upsampled), so that a window of `window` frames
    # spans the time it was trained on. 0: read every clip at its own rate.
    fps: float = 0.0


@dataclass(frozen=True)
class IsolatedConfig(Config):
    name: str = "isolated"
    language: str = "ase"  # ISO 639-3 sign language code
    features: FeatureConfig = field(default_factory=FeatureConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    spotting: SpottingConfig = field(default_factory=SpottingConfig)
    # Data-set label -> vocabulary label (e.g. MP_Data's "thanks" -> GISLR's "thankyou"),
    # applied when loading training and evaluation data.
    aliases: dict[str, str] = field(default_factory=dict)
