"""``omnirec.data_variants``: OmniRec's path of the data variants a dataset holds."""

from omnirec_core.data.dataset import FoldedData, RawData, SplitData

__all__ = ["FoldedData", "RawData", "SplitData"]
