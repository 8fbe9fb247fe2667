"""``omnirec.recsys_data_set``: OmniRec's path of :class:`omnirec_core.data.dataset.RecSysDataSet`.

``RecSysDataSet.use_dataloader("MovieLens100K")`` (or ``DataSet.MovieLens100K``) accepts
OmniRec's dataset names; they are aliases in omnirec's dataset catalogue.
"""

from omnirec_core.data.dataset import FoldedData, RawData, RecSysDataSet, SplitData

__all__ = ["FoldedData", "RawData", "RecSysDataSet", "SplitData"]
