"""Language identification per block and machine-translation origin per document.

* :mod:`~babelmill.detect.script`: writing-system rules (Han, kana, Hangul).
* :mod:`~babelmill.detect.langid`: context-free guess per text (script, lingua, seeded langdetect).
* :mod:`~babelmill.detect.context`: short/ambiguous blocks take their language from context.
* :mod:`~babelmill.detect.mtfeatures`, :mod:`~babelmill.detect.mtmodel`: style classifier for
  English machine-translated from Chinese.
* :mod:`~babelmill.detect.markers`, :mod:`~babelmill.detect.origin`: explicit markers plus
  the classifier -> the document's ``origin`` decision.
* :mod:`~babelmill.detect.detector`: all of it over a list of texts (used by the stage and CLI).
"""

from babelmill.detect.detector import DetectConfig, DocumentDetector, DocumentResult

__all__ = ["DetectConfig", "DocumentDetector", "DocumentResult"]
