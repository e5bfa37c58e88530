"""Options of translation (the ``[stages.translate]`` table): where models are, the device,
decoding, batching and threads, the cache, placeholders, quality flags, the CPU budget."""

from __future__ import annotations

from dataclasses import dataclass

#: the compute types CTranslate2 knows (whether the device supports one is known only when a model loads)
COMPUTE_TYPES = (
    "default", "auto", "int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16", "bfloat16",
    "float32", "float",
)  # fmt: skip


@dataclass
class TranslateConfig:
    """Options of the ``translate`` stage (``[stages.translate]`` in the pipeline TOML)."""

    #: folder with installed argos packages: when set, the only folder searched
    #: (translate.packages.search_dirs); None = $BABELMILL_MODELS when set, else argostranslate's folder
    models_dir: str | None = None
    #: "auto" (CUDA when CTranslate2 sees a GPU), "cpu" or "cuda"; `babelmill run --device`
    #: overrides it. The CUDA path is written to CTranslate2's API but untested here (no GPU).
    device: str = "auto"
    #: CTranslate2 compute type; None = int8 on CPU, float16 (else int8_float16) on CUDA
    compute_type: str | None = None
    #: beam width. 4 = argostranslate's setting, which is what users' quality expectations rest
    #: on; no quality measurement of 2 or 1 exists yet (no real model offline), so 4 stays the
    #: default. 2 decodes half the hypotheses and 1 (greedy) commits to each token's argmax:
    #: both faster (README, benchmarks/translate.py), both trade some quality (typically small
    #: for beam 2, larger for greedy)
    beam_size: int = 4
    #: upper token budget of one CTranslate2 batch (batch_type="tokens"); 0 = automatic, 4096
    #: on CPU and 16384 on CUDA (translate.backend.AUTO_BATCH_TOKENS). The backend lowers it so
    #: that each call is cut into a few batches (else one translator idles while another
    #: decodes the long tail). On CPU only speed depends on it: batches hold sentences of one
    #: token length, so a sentence's translation never depends on its batch
    max_batch_tokens: int = 0
    #: longest output in tokens; stops runaway decodes
    max_decoding_length: int = 256
    #: also cap each output at this many times its input tokens (+16); 0 = only the fixed cap.
    #: A model stuck in a loop then stops after ~3x the sentence instead of 256 tokens
    max_decoding_ratio: float = 3.0
    #: sentences longer than this (characters) are cut at , ; : or spaces before translation
    max_sentence_chars: int = 400
    #: CTranslate2 translators decoding batches in parallel; 0 = automatic: one per core below 8
    #: cores, else one per 4 cores. On 2 cores, with the batch split above: 1.18x the throughput
    #: of one translator x 2 threads at beam 4, 1.09x at beam 2 (argos-size model, medians of 3,
    #: benchmarks/translate.py); the threading alone leaves the output bit-identical
    inter_threads: int = 0
    #: OpenMP threads per translator; 0 = automatic (1 below 8 cores, else 4)
    intra_threads: int = 0
    #: keep translations in <state_dir>/translate_cache.sqlite (in memory without a state dir)
    cache: bool = True
    #: replace URLs, e-mails, @handles, $tickers, #hashtags, amounts, code and emoji with
    #: placeholders so they come back verbatim
    protect: bool = True
    #: blocks whose mean token probability is below this get the "low_confidence" flag
    min_confidence: float = 0.3
    #: allowed range of output words per source word (Han characters count 0.6 word);
    #: outside it the block gets the "length_ratio" flag
    length_ratio_min: float = 0.4
    length_ratio_max: float = 2.5
    #: CPU seconds that preparing one document's blocks (sentence splitting, placeholders) may
    #: take, plus ``max_seconds_per_mb`` per million characters; a document over it is
    #: quarantined (``too_slow``) and the run goes on. 0 = no limit
    max_seconds: float = 10.0
    max_seconds_per_mb: float = 10.0

    def __post_init__(self) -> None:
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', not {self.device!r}")
        if self.compute_type is not None and self.compute_type not in COMPUTE_TYPES:
            # else every run loads no model and leaves every block pending, exit 0
            raise ValueError(f"compute_type must be one of {', '.join(COMPUTE_TYPES)}, not {self.compute_type!r}")
        if self.beam_size < 1 or self.max_decoding_length < 1:
            raise ValueError("beam_size and max_decoding_length must be >= 1")
        if self.max_batch_tokens < 0:
            raise ValueError("max_batch_tokens must be >= 1, or 0 for automatic")
        if self.max_decoding_ratio < 0:
            raise ValueError("max_decoding_ratio must be >= 0 (0 = off)")
        if self.max_sentence_chars < 20:
            raise ValueError("max_sentence_chars must be at least 20")
        if not 0 < self.length_ratio_min < self.length_ratio_max:
            raise ValueError("need 0 < length_ratio_min < length_ratio_max")
