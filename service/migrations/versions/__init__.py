"""Migration scripts ``m<NNNN>_<slug>.py``; never edit one that has shipped."""
