"""Video: decode a clip, paint it frame by frame, keep it steady, encode it with its sound."""

from core.video.io import (
    Frame,
    VideoError,
    VideoInfo,
    VideoWriter,
    even_size,
    h264_encoder,
    max_video_seconds,
    max_video_side,
    probe,
    read_frames,
)

__all__ = ["Frame", "VideoError", "VideoInfo", "VideoWriter", "even_size", "h264_encoder",
           "max_video_seconds", "max_video_side", "probe", "read_frames"]
