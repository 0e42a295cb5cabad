"""Small NumPy and Keras tasks that isolate one thing a gate does.

* :mod:`.memory` – recall a marked symbol after ``T`` steps (notebook 02, 05);
* :mod:`.segments` – sum within segments: the task where the reset gate matters (02);
* :mod:`.counting` – aⁿbⁿ counting with SimpleRNN, GRU and LSTM (05);
* :mod:`.trainer` – the cell-plus-readout model and history they share.
"""

__all__ = ["memory", "segments", "counting", "trainer"]
