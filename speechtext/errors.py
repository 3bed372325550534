"""Exceptions raised by speechtext.

Every error a user can cause is a :class:`SpeechTextError`; the subclasses that describe bad values
also subclass the matching built-in, so ``except ValueError`` keeps working.
"""

__all__ = ["SpeechTextError", "ParameterError", "AudioError", "FormatError", "NotFittedError"]


class SpeechTextError(Exception):
    """Base class of every error speechtext raises on purpose."""


class ParameterError(SpeechTextError, ValueError):
    """An argument is out of range or inconsistent with another one."""


class AudioError(SpeechTextError):
    """An audio file cannot be read, holds no usable samples, or cannot be written."""


class FormatError(SpeechTextError, ValueError):
    """A text file (CoNLL, JSONL, TOML, lexicon ...) is malformed; the message names file, line."""


class NotFittedError(SpeechTextError, ValueError, AttributeError):
    """A trainable stage was used before ``fit`` (or ``load``)."""
