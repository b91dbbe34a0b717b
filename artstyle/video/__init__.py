"""Video: a clip painted frame by frame with temporal coherence (after Siegel 2016 and Ruder et al. 2016).

``from artstyle.video import paint_video, VideoOptions`` is the public face.
"""

from artstyle.video.clip import ClipInfo, Span, probe
from artstyle.video.flow import FlowMethod
from artstyle.video.painter import Temporal
from artstyle.video.run import FrameReport, VideoOptions, VideoResult, paint_video

__all__ = ["ClipInfo", "FlowMethod", "FrameReport", "Span", "Temporal", "VideoOptions", "VideoResult", "paint_video", "probe"]
