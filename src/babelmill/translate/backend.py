"""Sentence translation backends and the batching layer in front of them.

:class:`Backend` is the narrow interface the stage needs: ``translate(sentences) -> [(text,
score)]`` plus an ``identity`` string for cache keys. :class:`CTranslate2Backend` loads an argos
package directly (CTranslate2 model + SentencePiece/BPE tokenizer) without going through
``argostranslate.translate``. :class:`BatchTranslator` adds what makes it fast: every sentence
is translated once (dedup + persistent cache), and the rest goes to the backend sorted by
length in token-budgeted batches, so padding is minimal and the CPU/GPU stays busy. On CPU
the backend runs one single-threaded translator per core (small machines) and submits all
batches at once, so the translators decode different batches side by side.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from babelmill.interrupt import check as check_interrupt
from babelmill.translate.cache import TranslationCache
from babelmill.translate.packages import ArgosPackage, ModelError


class Backend(Protocol):
    #: identifies weights + output-changing decode settings (cache key prefix)
    identity: str

    def translate(self, sentences: list[str]) -> list[tuple[str, float]]:
        """Translate each sentence; return ``(text, score)`` in input order. ``score`` is the
        length-normalised log-probability (``<= 0``; higher is more confident)."""
        ...


def cpu_count() -> int:
    """CPUs this process may use (affinity-aware)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when CTranslate2 sees a CUDA device, else ``cpu``."""
    if device not in ("auto", "cpu", "cuda"):
        raise ModelError(f"device must be auto, cpu or cuda, not {device!r}")
    if device != "auto":
        return device
    import ctranslate2

    try:
        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    except Exception:  # noqa: BLE001 - a broken CUDA install means: use the CPU
        return "cpu"


def resolve_compute_type(device: str, compute_type: str | None) -> str:
    """int8 on CPU (fast, argos models are trained to survive it). On CUDA float16 where the GPU
    has it, else int8_float16, else CTranslate2's default: on an H200 with an argos-size model
    float16 decoded 1.15x as fast as int8_float16 at the automatic batch budget
    (``benchmarks/translate_gpu.py --sweep``), and it is the more precise of the two; the weights
    are small enough that int8's memory saving does not matter on a GPU."""
    if compute_type:
        return compute_type
    if device == "cpu":
        return "int8"
    import ctranslate2

    try:
        supported = ctranslate2.get_supported_compute_types("cuda")
    except Exception:  # noqa: BLE001
        return "default"
    for candidate in ("float16", "int8_float16"):
        if candidate in supported:
            return candidate
    return "default"


def resolve_threads(device: str, inter_threads: int, intra_threads: int, cpus: int | None = None) -> tuple[int, int]:
    """0 = automatic. CPU: translators in parallel (each decodes its own token batch) rather
    than OpenMP threads inside one: one single-threaded translator per core below 8 cores,
    from 8 cores one per 4 cores with 4 threads each (not measured here). On 2 cores inter=2/intra=1 decoded ~20% faster
    and used ~13% less CPU than inter=1/intra=2 (benchmarks/translate.py), and it does not
    stall when a shared machine's other processes take a core, as OpenMP's barriers do.
    CUDA: one translator; the threads only feed the GPU.

    ``cpus``: the CPUs this translator may use (a Ray actor's share); default: this process's.

    >>> resolve_threads("cuda", 0, 0)
    (1, 1)
    >>> resolve_threads("cpu", 0, 0, cpus=1), resolve_threads("cpu", 0, 0, cpus=16)
    ((1, 1), (4, 4))
    """
    cpus = cpus or cpu_count()
    if device == "cuda":
        return inter_threads or 1, intra_threads or 1
    if cpus >= 8:
        auto_inter, auto_intra = cpus // 4, 4
    else:
        auto_inter, auto_intra = cpus, 1
    return inter_threads or auto_inter, intra_threads or auto_intra


#: the fewest CTranslate2 batches one translate call is cut into, so that parallel translators
#: all get work. It changes speed only: batches hold sentences of one length (see
#: :meth:`CTranslate2Backend.translate`), so the output never depends on how they are cut
MIN_BATCHES = 4


def batch_budget(total_tokens: int, max_batch_tokens: int) -> int:
    """Token budget per CTranslate2 batch: ``max_batch_tokens``, lowered so that the call is cut
    into at least :data:`MIN_BATCHES` batches (else one translator finishes early and idles while
    another decodes the longest sentences). Never below 256 tokens, where per-batch overhead
    starts to dominate. The output never depends on it.

    >>> batch_budget(100_000, 4096)
    4096
    >>> batch_budget(4_000, 4096)
    1000
    >>> batch_budget(600, 4096)
    256
    """
    share = -(-total_tokens // MIN_BATCHES)
    return max(1, min(max_batch_tokens, max(256, share)))


class _SentencePiece:
    def __init__(self, model_file: str):
        import sentencepiece as spm

        self.sp = spm.SentencePieceProcessor(model_file=model_file)

    def encode(self, text: str) -> list[str]:
        return self.sp.encode(text, out_type=str)

    def encode_many(self, texts: list[str]) -> list[list[str]]:
        return self.sp.encode(texts, out_type=str)  # one call; the C++ side loops

    def decode(self, tokens: list[str]) -> str:
        return self.sp.decode_pieces(tokens).replace("▁", " ")

    def decode_many(self, hyps: list[list[str]]) -> list[str]:
        return [text.replace("▁", " ") for text in self.sp.decode(hyps)] if hyps else []


class _MosesBPE:
    """Older argos packages: Moses tokenization + subword-nmt BPE (``bpe.model``); needs sacremoses."""

    def __init__(self, package: ArgosPackage):
        try:
            from argostranslate.tokenizer import BPETokenizer
        except ImportError as exc:  # pragma: no cover
            raise ModelError(f"{package.path}: BPE packages need argostranslate + sacremoses ({exc})") from None
        self.tok = BPETokenizer(package.path / "bpe.model", package.from_code, package.to_code)

    def encode(self, text: str) -> list[str]:
        return self.tok.encode(text)

    def encode_many(self, texts: list[str]) -> list[list[str]]:
        return [self.tok.encode(t) for t in texts]

    def decode(self, tokens: list[str]) -> str:
        return self.tok.decode(tokens)

    def decode_many(self, hyps: list[list[str]]) -> list[str]:
        return [self.tok.decode(h) for h in hyps]


#: token budget per CTranslate2 batch when the configuration leaves it automatic (0). A CPU
#: translator does best around 4096 tokens; a GPU is fed better by bigger batches
#: (benchmarks/translate_gpu.py on an H200, argos-size model: 16384 tokens decoded 1.35x as
#: fast as 4096)
AUTO_BATCH_TOKENS = {"cpu": 4096, "cuda": 16384}


@dataclass
class DecodeOptions:
    beam_size: int = 4  # argostranslate's
    max_batch_tokens: int = 0  # 0 = AUTO_BATCH_TOKENS for the device
    max_decoding_length: int = 256
    #: also cap each output at ratio x its input tokens (+16, rounded up to 16); 0 = off.
    #: Stops decode loops early; real translations stay well inside it
    max_decoding_ratio: float = 3.0
    length_penalty: float = 0.2  # argostranslate's value
    max_input_length: int = 1024

    def decode_cap(self, n_input_tokens: int) -> int:
        """Output-length cap for an input of ``n_input_tokens``.

        >>> DecodeOptions(max_decoding_length=256, max_decoding_ratio=3.0).decode_cap(10)
        48
        >>> DecodeOptions(max_decoding_length=256, max_decoding_ratio=0).decode_cap(10)
        256
        """
        if self.max_decoding_ratio <= 0:
            return self.max_decoding_length
        cap = int(self.max_decoding_ratio * n_input_tokens) + 16
        return min(self.max_decoding_length, -(-cap // 16) * 16)


class CTranslate2Backend:
    """An argos package loaded straight into ``ctranslate2.Translator``."""

    def __init__(
        self,
        package: ArgosPackage,
        *,
        device: str = "auto",
        compute_type: str | None = None,
        inter_threads: int = 0,
        intra_threads: int = 0,
        options: DecodeOptions | None = None,
        cpus: int | None = None,
    ):
        import ctranslate2

        self.package = package
        self.options = options or DecodeOptions()
        self.device = resolve_device(device)
        self.compute_type = resolve_compute_type(self.device, compute_type)
        self.inter_threads, self.intra_threads = resolve_threads(self.device, inter_threads, intra_threads, cpus)
        self.max_batch_tokens = self.options.max_batch_tokens or AUTO_BATCH_TOKENS[self.device]
        try:
            self.translator = ctranslate2.Translator(
                str(package.model_dir),
                device=self.device,
                compute_type=self.compute_type,
                inter_threads=self.inter_threads,
                intra_threads=self.intra_threads,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"{package.path}: cannot load CTranslate2 model ({exc})") from None
        if package.tokenizer == "sentencepiece":
            self.tokenizer = _SentencePiece(str(package.path / "sentencepiece.model"))
        else:
            self.tokenizer = _MosesBPE(package)
        o = self.options
        self.identity = (
            f"{package.identity()}|beam={o.beam_size}|lp={o.length_penalty}"
            f"|maxlen={o.max_decoding_length}|ratio={o.max_decoding_ratio}"
        )

    def translate(self, sentences: list[str]) -> list[tuple[str, float]]:
        if not sentences:
            return []
        o = self.options
        tokens = self.tokenizer.encode_many(sentences)
        # On CPU, one CTranslate2 call per input length in tokens, so that no batch is ever
        # padded: a sentence's translation and score then do not depend on which other sentences
        # share its batch (padding changes float rounding: scores move, near-tied beams can
        # flip), so the output is the same however documents are batched, on any engine and core
        # count (benchmarks/SCALE.md). On CUDA, one call per output-length cap (few, large
        # batches keep the GPU busy; whether cuBLAS results depend on the batch is not checked
        # here). The calls are submitted together (asynchronous), so parallel translators never
        # wait for one group to finish; CTranslate2 cuts each into token-budgeted batches
        groups: dict[int, list[int]] = {}
        for i, toks in enumerate(tokens):
            groups.setdefault(len(toks) if self.device == "cpu" else o.decode_cap(len(toks)), []).append(i)
        budget = batch_budget(sum(map(len, tokens)), self.max_batch_tokens)
        pending: list[tuple[list[int], list]] = []
        for _key, idx in sorted(groups.items()):
            batch = [tokens[i] for i in idx]
            cap = o.decode_cap(len(batch[0]) if self.device == "cpu" else max(map(len, batch)))
            prefix = [[self.package.target_prefix] for _ in batch] if self.package.target_prefix else None
            futures = self.translator.translate_batch(
                batch,
                target_prefix=prefix,
                max_batch_size=budget,
                batch_type="tokens",
                beam_size=o.beam_size,
                num_hypotheses=1,
                length_penalty=o.length_penalty,
                max_decoding_length=cap,
                max_input_length=o.max_input_length,
                # argostranslate's setting: an <unk> in the output becomes the source token it
                # attends to most. Changes output, so it stays on (its cost did not show)
                replace_unknowns=True,
                return_scores=True,  # the quality check needs them; free (beam search has them)
                asynchronous=True,
            )
            pending.append((idx, futures))
        results: list = [None] * len(tokens)
        for idx, futures in pending:
            for i, future in zip(idx, futures, strict=True):
                check_interrupt()  # stop between CTranslate2's batches, not after the whole call
                results[i] = future.result()
        hyps: list[list[str]] = []
        scores: list[float] = []
        prefix = self.package.target_prefix
        for res in results:
            hyp = res.hypotheses[0]
            if prefix and hyp[:1] == [prefix]:
                hyp = hyp[1:]
            hyps.append(hyp)
            scores.append(self._per_token(res.scores[0] if res.scores else 0.0, len(hyp)))
        texts = self.tokenizer.decode_many(hyps)  # one call; the C++ side loops
        return [(text.strip(), score) for text, score in zip(texts, scores, strict=True)]

    def _per_token(self, score: float, n_tokens: int) -> float:
        """CTranslate2 returns ``logprob / length**length_penalty``; undo the penalty and divide
        by the length (+1 for the end token) to get the mean per-token log-probability."""
        steps = n_tokens + 1
        return float(score) * steps**self.options.length_penalty / steps


@dataclass
class BatchStats:
    requested: int = 0  # sentences asked for, duplicates included
    unique: int = 0
    cache_hits: int = 0
    cache_misses: int = 0  # = sentences sent to the backend
    hits: frozenset[str] = frozenset()  # the sentences that came from the cache
    #: sentence -> the document its translation was first made for (with ``owners``; None for
    #: cache rows that do not say)
    first_owner: dict[str, str | None] = field(default_factory=dict)

    def reused(self, sentence: str, owner: str | None = None) -> bool:
        """Whether ``owner``'s ``sentence`` got a translation made for another document: found
        in the cache, or made for an earlier document of the same call. A document's own
        translation counts as fresh even when a rerun finds it in the cache, so the answer is
        the same whether or not an earlier run was killed after translating it.

        >>> stats = BatchStats(hits=frozenset({"b"}), first_owner={"a": "d1", "b": "d1"})
        >>> stats.reused("a", "d1"), stats.reused("a", "d2"), stats.reused("b", "d1")
        (False, True, False)
        >>> BatchStats(hits=frozenset({"b"})).reused("b")
        True
        """
        if owner is not None and sentence in self.first_owner:
            return self.first_owner[sentence] != owner
        return sentence in self.hits


class BatchTranslator:
    """Translate many sentences, each distinct one at most once.

    Duplicates collapse, cached ones come from the cache, the rest are sorted by length and
    handed to the backend ``chunk_size`` sentences at a time (the backend then splits each chunk
    into token-budgeted batches). Results come back in input order.
    """

    def __init__(self, backend: Backend, cache: TranslationCache | None = None, chunk_size: int = 2048):
        self.backend = backend
        self.cache = cache
        self.chunk_size = chunk_size

    def translate(
        self,
        sentences: list[str],
        length: Callable[[str], int] = len,
        owners: list[str] | None = None,
    ) -> tuple[list[tuple[str, float]], BatchStats]:
        """``owners`` (parallel to ``sentences``): the document each sentence belongs to; the
        first one (in order) of a sentence not in the cache is stored as its owner, and
        :meth:`BatchStats.reused` answers per document."""
        stats = BatchStats(requested=len(sentences))
        unique = sorted(set(sentences))  # sorted: deterministic order for equal lengths
        stats.unique = len(unique)
        done: dict[str, tuple[str, float]] = {}
        if self.cache is not None and unique:
            for src, (tgt, score, doc) in self.cache.lookup(self.backend.identity, unique).items():
                done[src] = (tgt, score)
                stats.first_owner[src] = doc
        stats.cache_hits = len(done)
        stats.hits = frozenset(done)
        if owners is not None:
            if len(owners) != len(sentences):
                raise ValueError(f"{len(owners)} owners for {len(sentences)} sentences")
            for sentence, owner in zip(sentences, owners, strict=True):
                stats.first_owner.setdefault(sentence, owner)
        todo = sorted((s for s in unique if s not in done), key=lambda s: (length(s), s))
        stats.cache_misses = len(todo)
        for i in range(0, len(todo), self.chunk_size):
            check_interrupt()
            chunk = todo[i : i + self.chunk_size]
            translated = self.backend.translate(chunk)
            if len(translated) != len(chunk):
                raise RuntimeError(f"backend returned {len(translated)} results for {len(chunk)} sentences")
            fresh = dict(zip(chunk, translated, strict=True))
            done.update(fresh)
            if self.cache is not None:
                owned = {s: o for s in chunk if (o := stats.first_owner.get(s)) is not None}
                self.cache.put_many(self.backend.identity, fresh, owned)
        return [done[s] for s in sentences], stats
