"""Real recordings: video files written with imageio (libx264 MP4 and GIF) read back as clips; clear errors."""
import logging
import os

import imageio.v3 as iio
import numpy as np
import pytest
import tensorflow as tf

from thesis_gan.data.recordings import VideoDataError, count_frames, read_clips, scan_folder, video_folder_dataset


def ramp_frames(n, h=32, w=48):
    """Frame i: brightness 8*i + 20 and a white bar at column 2*i (order is visible after lossy coding)."""
    frames = np.zeros((n, h, w, 3), np.uint8)
    for i in range(n):
        frames[i] = 20 + 8 * i
        frames[i, :, 2 * i: 2 * i + 2] = 255
    return frames


def write_mp4(path, frames, fps=10):
    iio.imwrite(path, frames, fps=fps, codec="libx264", plugin="FFMPEG")
    return path


def write_gif(path, frames):
    iio.imwrite(path, frames, duration=100, loop=0)
    return path


def snapshot(folder):
    return {p: (os.stat(os.path.join(folder, p)).st_mtime_ns, os.path.getsize(os.path.join(folder, p)))
            for p in sorted(os.listdir(folder))}


@pytest.fixture
def videos(tmp_path):
    write_mp4(tmp_path / "a.mp4", ramp_frames(20))
    write_gif(tmp_path / "b.gif", ramp_frames(20))
    return tmp_path


@pytest.mark.parametrize("name", ["a.mp4", "b.gif"])
def test_frame_order_and_values(videos, name):
    clips = list(read_clips(str(videos / name), (5, 32, 48)))
    assert len(clips) == 4 and all(c.shape == (5, 32, 48, 3) and c.dtype == np.uint8 for c in clips)
    frames = np.concatenate(clips)
    brightness = frames[:, :, 30:, :].mean(axis=(1, 2, 3))[:-3]  # right of the bar for the first 14 frames
    assert np.all(np.diff(brightness) > 4)  # one step per frame, in order
    expected = ramp_frames(20).astype(float)
    tol = 0 if name.endswith(".gif") else 12  # MP4 (H.264, 4:2:0) is lossy
    assert np.abs(frames.astype(float) - expected).mean() <= tol + 0.5
    bar = frames[:, 16, :, :].mean(-1).argmax(axis=1)
    assert np.abs(bar - 2 * np.arange(20)).max() <= 1  # the bar moves right by 2 pixels per frame


@pytest.mark.parametrize("name", ["a.mp4", "b.gif"])
def test_frame_stride_and_hop(videos, name):
    clips = list(read_clips(str(videos / name), (4, 16, 24), frame_stride=3))
    assert len(clips) == 1  # a window spans 10 frames, the next would start at frame 12 (hop 4*3) and end at 21
    clips = list(read_clips(str(videos / name), (4, 16, 24), frame_stride=3, hop=2))
    assert len(clips) == (20 - 10) // 2 + 1
    bar = clips[1][:, 8, :, :].mean(-1).argmax(axis=1)  # clip 1 starts at frame 2: frames 2, 5, 8, 11
    assert np.abs(bar - np.array([2, 5, 8, 11])).max() <= 1  # bar column 2i at width 48 → i at width 24


def test_resize_crop_and_uint8(videos):
    clips = list(read_clips(str(videos / "b.gif"), (2, 10, 10)))  # 48x32 → centre 32x32 → 10x10
    assert clips[0].shape == (2, 10, 10, 3)
    ds = video_folder_dataset(videos, (5, 16, 24), extensions=(".gif",))
    assert next(iter(ds)).dtype == tf.uint8  # scaled to [-1, 1] only at the model's edge


def test_dataset_shapes_and_clip_count(videos):
    before = snapshot(videos)
    ds, report = video_folder_dataset(videos, (5, 16, 24), return_report=True)
    assert ds.element_spec == tf.TensorSpec((5, 16, 24, 3), tf.uint8)
    assert report.n_clips == 8 and not report.skipped
    clips = [c.numpy() for c in ds]
    assert len(clips) == 8
    assert len(list(video_folder_dataset(videos, (5, 16, 24)).repeat().take(20))) == 20
    assert snapshot(videos) == before


def test_truncated_mp4(tmp_path):
    good = write_mp4(tmp_path / "good.mp4", ramp_frames(20))
    data = open(good, "rb").read()
    with open(tmp_path / "cut.mp4", "wb") as f:
        f.write(data[: len(data) // 2])
    with pytest.raises(VideoDataError, match=r"cut\.mp4.*(truncated|damaged)"):
        count_frames(str(tmp_path / "cut.mp4"))
    with pytest.raises(VideoDataError, match=r"cut\.mp4.*(truncated|damaged)"):
        list(read_clips(str(tmp_path / "cut.mp4"), (4, 16, 16)))
    with pytest.raises(VideoDataError, match=r"cut\.mp4"):
        video_folder_dataset(tmp_path, (4, 16, 16))


def test_not_a_video(tmp_path):
    (tmp_path / "notes.mp4").write_text("this is a text file")
    with pytest.raises(VideoDataError, match=r"notes\.mp4: not a video"):
        list(read_clips(str(tmp_path / "notes.mp4"), (4, 16, 16)))
    with pytest.raises(VideoDataError, match=r"notes\.mp4: not a video"):
        scan_folder(tmp_path, (4, 16, 16))
    (tmp_path / "empty.gif").write_bytes(b"")
    with pytest.raises(VideoDataError, match=r"empty\.gif: the file is empty"):
        count_frames(str(tmp_path / "empty.gif"))


@pytest.mark.parametrize("ext", ["mp4", "gif"])
def test_too_short(tmp_path, ext):
    path = str(tmp_path / f"short.{ext}")
    (write_mp4 if ext == "mp4" else write_gif)(path, ramp_frames(6))
    with pytest.raises(VideoDataError, match=r"short\.%s: too short - 6 frames.*needs at least 7" % ext):
        list(read_clips(path, (4, 16, 16), frame_stride=2))
    with pytest.raises(VideoDataError, match=r"short\.%s: too short" % ext):
        video_folder_dataset(tmp_path, (4, 16, 16), frame_stride=2)
    assert len(list(read_clips(path, (4, 16, 16), frame_stride=1))) == 1


def test_empty_and_missing_folders(tmp_path):
    with pytest.raises(VideoDataError, match="has no video files"):
        video_folder_dataset(tmp_path, (4, 16, 16))
    (tmp_path / "README.txt").write_text("phone videos go here")
    with pytest.raises(VideoDataError, match="has no video files.*1 other files"):
        video_folder_dataset(tmp_path, (4, 16, 16), on_error="skip")
    with pytest.raises(VideoDataError, match="does not exist"):
        video_folder_dataset(tmp_path / "nowhere", (4, 16, 16))
    with pytest.raises(VideoDataError, match="is not a folder"):
        scan_folder(tmp_path / "README.txt")
    with pytest.raises(ValueError, match="on_error"):
        video_folder_dataset(tmp_path, (4, 16, 16), on_error="ignore")


def test_skip_policy_counts_and_leaves_folder_untouched(videos, caplog):
    data = open(videos / "a.mp4", "rb").read()
    (videos / "c_cut.mp4").write_bytes(data[: len(data) // 2])
    (videos / "d_text.webm").write_text("not a video")
    write_gif(videos / "e_short.gif", ramp_frames(3))
    (videos / "notes.txt").write_text("ignored")
    before = snapshot(videos)
    with pytest.raises(VideoDataError, match=r"c_cut\.mp4"):
        video_folder_dataset(videos, (5, 16, 24))  # "raise": the first bad file in sorted order
    with caplog.at_level(logging.WARNING, logger="thesis_gan.recordings"):
        ds, report = video_folder_dataset(videos, (5, 16, 24), on_error="skip", return_report=True)
    assert [os.path.basename(p) for p in report.paths] == ["a.mp4", "b.gif"]
    assert [os.path.basename(p) for p, _ in report.skipped] == ["c_cut.mp4", "d_text.webm", "e_short.gif"]
    assert [os.path.basename(p) for p in report.ignored] == ["notes.txt"]
    assert "3 skipped" in str(report)
    assert sum("skipping" in r.getMessage() for r in caplog.records) == 3
    assert len(list(ds)) == 8
    assert snapshot(videos) == before


def test_all_skipped_is_an_error(tmp_path):
    (tmp_path / "x.mp4").write_text("nope")
    with pytest.raises(VideoDataError, match="no usable video.*all 1 video files were skipped"):
        video_folder_dataset(tmp_path, (4, 16, 16), on_error="skip")
