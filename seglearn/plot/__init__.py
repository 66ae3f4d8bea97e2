"""Pictures and tables for the book: overlays, sample grids, training curves, metric tables.

- :func:`label_overlay` is MATLAB's ``labeloverlay`` (drawn with torchvision's
  ``draw_segmentation_masks``); :func:`error_overlay` colours true positives, false
  positives and false negatives of one class;
- :func:`plot_confusion` draws the row-normalised confusion matrix of K classes and
  :func:`class_legend` the legend of class (and error) colours;
- :func:`show_samples` lays out images, truth and predictions in a grid;
- :func:`plot_history` draws training curves of one or more :class:`~seglearn.train.History`;
- :func:`plot_paired` draws means with intervals over seeds and paired differences from a
  control;
- :class:`Table` prints aligned text (compared by nbval) and renders HTML in notebooks;
- :func:`plot_dilation` and :func:`plot_dilation_rates` are the pictures behind the
  dilation sliders of :mod:`seglearn.widgets` (the widgets only choose the rates).

First used in the chapter *Semantic segmentation with dilated convolutions*.

Chapter: book/dilated_segmentation
"""

from ._classes import ERROR_COLORS, class_legend, plot_confusion
from ._dilation import dilated_response, plot_dilation, plot_dilation_rates
from ._intervals import plot_paired
from ._results import CLASS_COLORS, error_overlay, label_overlay, plot_history, show_samples
from ._table import Table

__all__ = [
    "CLASS_COLORS",
    "label_overlay",
    "error_overlay",
    "show_samples",
    "plot_history",
    "ERROR_COLORS",
    "class_legend",
    "plot_confusion",
    "plot_paired",
    "Table",
    "dilated_response",
    "plot_dilation",
    "plot_dilation_rates",
]
