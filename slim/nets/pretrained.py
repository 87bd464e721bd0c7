"""research/slim's published ImageNet checkpoints, downloaded by name.

    prefix = pretrained.download('inception_v3')   # .../checkpoints/inception_v3/inception_v3.ckpt
    pretrained.resolve_checkpoint(flag_value)       # a path as it is, a name downloaded
    pretrained.get('mobilenet_v1_0.5_160').image_size   # 160

The table is the "Pre-trained Models" table of research/slim's README.md (its
downloadable rows), completed with the float checkpoints of
nets/mobilenet_v1.md and nets/mobilenet/README.md whose network nets_factory
builds. A network name whose checkpoints are named by multiplier and size is an
alias of its 224 checkpoint (`ALIASES`: 'mobilenet_v1' -> 'mobilenet_v1_1.0_224').

A download goes to a partial file that a rerun (or a retry) resumes with an
HTTP Range request; it is checked (size against the server's, sha256 where the
table knows it), extracted safely into a temporary directory and renamed into
place: `<cache>/checkpoints/<name>/`. The cache is `$SLIM_CACHE_DIR`, else
`~/.cache/slim`. `SLIM_CHECKPOINT_MIRROR=<base url>` fetches
`<base url>/<file name>` (the published URL's last part) instead of the
published URL: a local mirror for air-gapped sites, or a test server.

This module imports no TensorFlow.
"""
import contextlib
import gzip
import hashlib
import http.client
import json
import os
import sys
import tarfile
import time
import typing
import urllib.error
import urllib.request
import zlib

import slim._checks as _checks

__all__ = ['ALIASES', 'CHECKPOINTS', 'Checkpoint', 'CorruptDownloadError', 'DownloadError',
           'cache_root', 'cached', 'checkpoint_dir', 'download', 'download_url', 'get', 'names',
           'resolve_checkpoint']

MIRROR_ENV = 'SLIM_CHECKPOINT_MIRROR'
CACHE_ENV = 'SLIM_CACHE_DIR'
TIMEOUT_SECONDS = 60  # of a connection or of a read that receives nothing
_CHUNK = 1 << 20
_MANIFEST = '.slim_checkpoint.json'


class Checkpoint(typing.NamedTuple):
  """A published checkpoint.

  Fields:
    name: the table key ('inception_v3', 'mobilenet_v1_0.5_160').
    url: the published tarball.
    network: its network in nets_factory.
    num_classes: the classes of its logits (1001 with a background class 0).
    labels_offset: research/slim's --labels_offset for it (1 for 1000 classes).
    image_size: the height and width it was trained and evaluated at.
    top1, top5: the reported ImageNet accuracy in %, None where not listed.
    sha256: the tarball's digest, verified when set (None: unknown).
    source: the research/slim page that lists it.
  """
  name: str
  url: str
  network: str
  num_classes: int
  labels_offset: int
  image_size: int
  top1: typing.Optional[float]
  top5: typing.Optional[float]
  sha256: typing.Optional[str] = None
  source: str = 'README.md'


_TF = 'http://download.tensorflow.org/models/'
_GCS = 'https://storage.googleapis.com/download.tensorflow.org/models/'
_V1 = 'http://download.tensorflow.org/models/mobilenet_v1_2018_02_22/'
_V2 = 'https://storage.googleapis.com/mobilenet_v2/checkpoints/'
_V3 = 'https://storage.googleapis.com/mobilenet_v3/checkpoints/'
_V1_PAGE = 'nets/mobilenet_v1.md'
_MOBILENET_PAGE = 'nets/mobilenet/README.md'


def _imagenet(name, url, size, top1, top5, network=None, source='README.md'):
  """A row of a 1001-class checkpoint (background class 0)."""
  return Checkpoint(name, url, network or name, 1001, 0, size, top1, top5, source=source)


def _imagenet_1000(name, url, top1, top5):
  """A row of a 1000-class checkpoint converted from Caffe (VGG, ResNet V1)."""
  return Checkpoint(name, url, name, 1000, 1, 224, top1, top5)


def _mobilenet(version, multiplier, size, network, top1, top5, source):
  name = 'mobilenet_%s_%s_%d' % (version, multiplier, size)
  base = _V1 if version == 'v1' else _V2
  return _imagenet(name, base + name + '.tgz', size, top1, top5, network, source)


def _mobilenet_v3(network, file_stem, top1):
  return _imagenet(network, _V3 + file_stem + '.tgz', 224, top1, None, source=_MOBILENET_PAGE)


_TABLE = [
    # research/slim README.md, "Pre-trained Models", in its order.
    _imagenet('inception_v1', _TF + 'inception_v1_2016_08_28.tar.gz', 224, 69.8, 89.6),
    _imagenet('inception_v2', _TF + 'inception_v2_2016_08_28.tar.gz', 224, 73.9, 91.8),
    _imagenet('inception_v3', _TF + 'inception_v3_2016_08_28.tar.gz', 299, 78.0, 93.9),
    _imagenet('inception_v4', _TF + 'inception_v4_2016_09_09.tar.gz', 299, 80.2, 95.2),
    _imagenet('inception_resnet_v2', _TF + 'inception_resnet_v2_2016_08_30.tar.gz', 299,
              80.4, 95.3),
    _imagenet_1000('resnet_v1_50', _TF + 'resnet_v1_50_2016_08_28.tar.gz', 75.2, 92.2),
    _imagenet_1000('resnet_v1_101', _TF + 'resnet_v1_101_2016_08_28.tar.gz', 76.4, 92.9),
    _imagenet_1000('resnet_v1_152', _TF + 'resnet_v1_152_2016_08_28.tar.gz', 76.8, 93.2),
    # The README: ResNet V2 checkpoints take inception preprocessing at 299.
    _imagenet('resnet_v2_50', _TF + 'resnet_v2_50_2017_04_14.tar.gz', 299, 75.6, 92.8),
    _imagenet('resnet_v2_101', _TF + 'resnet_v2_101_2017_04_14.tar.gz', 299, 77.0, 93.7),
    _imagenet('resnet_v2_152', _TF + 'resnet_v2_152_2017_04_14.tar.gz', 299, 77.8, 94.1),
    _imagenet_1000('vgg_16', _TF + 'vgg_16_2016_08_28.tar.gz', 71.5, 89.8),
    _imagenet_1000('vgg_19', _TF + 'vgg_19_2016_08_28.tar.gz', 71.1, 89.8),
    _mobilenet('v1', '1.0', 224, 'mobilenet_v1', 70.9, 89.9, 'README.md'),
    _mobilenet('v1', '0.5', 160, 'mobilenet_v1_050', 59.1, 81.9, 'README.md'),
    _mobilenet('v1', '0.25', 128, 'mobilenet_v1_025', 41.5, 66.3, 'README.md'),
    _mobilenet('v2', '1.4', 224, 'mobilenet_v2_140', 74.9, 92.5, 'README.md'),
    _mobilenet('v2', '1.0', 224, 'mobilenet_v2', 71.9, 91.0, 'README.md'),
    _imagenet('nasnet_mobile', _GCS + 'nasnet-a_mobile_04_10_2017.tar.gz', 224, 74.0, 91.6),
    _imagenet('nasnet_large', _GCS + 'nasnet-a_large_04_10_2017.tar.gz', 331, 82.7, 96.2),
    _imagenet('pnasnet_large', _GCS + 'pnasnet-5_large_2017_12_13.tar.gz', 331, 82.9, 96.2),
    _imagenet('pnasnet_mobile', _GCS + 'pnasnet-5_mobile_2017_12_13.tar.gz', 224, 74.2, 91.9),
    # nets/mobilenet_v1.md: the other float MobileNet V1 checkpoints.
    _mobilenet('v1', '1.0', 192, 'mobilenet_v1', 70.0, 89.2, _V1_PAGE),
    _mobilenet('v1', '1.0', 160, 'mobilenet_v1', 68.0, 87.7, _V1_PAGE),
    _mobilenet('v1', '1.0', 128, 'mobilenet_v1', 65.2, 85.8, _V1_PAGE),
    _mobilenet('v1', '0.75', 224, 'mobilenet_v1_075', 68.4, 88.2, _V1_PAGE),
    _mobilenet('v1', '0.75', 192, 'mobilenet_v1_075', 67.2, 87.3, _V1_PAGE),
    _mobilenet('v1', '0.75', 160, 'mobilenet_v1_075', 65.3, 86.0, _V1_PAGE),
    _mobilenet('v1', '0.75', 128, 'mobilenet_v1_075', 62.1, 83.9, _V1_PAGE),
    _mobilenet('v1', '0.5', 224, 'mobilenet_v1_050', 63.3, 84.9, _V1_PAGE),
    _mobilenet('v1', '0.5', 192, 'mobilenet_v1_050', 61.7, 83.6, _V1_PAGE),
    _mobilenet('v1', '0.5', 128, 'mobilenet_v1_050', 56.3, 79.4, _V1_PAGE),
    _mobilenet('v1', '0.25', 224, 'mobilenet_v1_025', 49.8, 74.2, _V1_PAGE),
    _mobilenet('v1', '0.25', 192, 'mobilenet_v1_025', 47.7, 72.3, _V1_PAGE),
    _mobilenet('v1', '0.25', 160, 'mobilenet_v1_025', 45.5, 70.3, _V1_PAGE),
    # nets/mobilenet/README.md: MobileNet V2 at the multipliers nets_factory has.
    _mobilenet('v2', '1.0', 192, 'mobilenet_v2', 70.7, 90.1, _MOBILENET_PAGE),
    _mobilenet('v2', '1.0', 160, 'mobilenet_v2', 68.8, 89.0, _MOBILENET_PAGE),
    _mobilenet('v2', '1.0', 128, 'mobilenet_v2', 65.3, 86.9, _MOBILENET_PAGE),
    _mobilenet('v2', '1.0', 96, 'mobilenet_v2', 60.3, 83.2, _MOBILENET_PAGE),
    _mobilenet('v2', '0.35', 224, 'mobilenet_v2_035', 60.3, 82.9, _MOBILENET_PAGE),
    _mobilenet('v2', '0.35', 192, 'mobilenet_v2_035', 58.2, 81.2, _MOBILENET_PAGE),
    _mobilenet('v2', '0.35', 160, 'mobilenet_v2_035', 55.7, 79.1, _MOBILENET_PAGE),
    _mobilenet('v2', '0.35', 128, 'mobilenet_v2_035', 50.8, 75.0, _MOBILENET_PAGE),
    _mobilenet('v2', '0.35', 96, 'mobilenet_v2_035', 45.5, 70.4, _MOBILENET_PAGE),
    # nets/mobilenet/README.md: the float MobileNet V3 checkpoints of multiplier 1.
    _mobilenet_v3('mobilenet_v3_large', 'v3-large_224_1.0_float', 75.2),
    _mobilenet_v3('mobilenet_v3_small', 'v3-small_224_1.0_float', 67.5),
    _mobilenet_v3('mobilenet_v3_large_minimalistic', 'v3-large-minimalistic_224_1.0_float',
                  72.3),
    _mobilenet_v3('mobilenet_v3_small_minimalistic', 'v3-small-minimalistic_224_1.0_float',
                  61.9),
]

# Name -> Checkpoint, in the table's order.
CHECKPOINTS = {row.name: row for row in _TABLE}

# Network name -> the name of its 224 checkpoint, where the names differ.
ALIASES = {
    'mobilenet_v1': 'mobilenet_v1_1.0_224',
    'mobilenet_v1_075': 'mobilenet_v1_0.75_224',
    'mobilenet_v1_050': 'mobilenet_v1_0.5_224',
    'mobilenet_v1_025': 'mobilenet_v1_0.25_224',
    'mobilenet_v2': 'mobilenet_v2_1.0_224',
    'mobilenet_v2_140': 'mobilenet_v2_1.4_224',
    'mobilenet_v2_035': 'mobilenet_v2_0.35_224',
}


class DownloadError(OSError):
  """A download that failed: a network fault, an HTTP error, an interrupted transfer."""
  resumable = False  # whether resuming at once may get further


class CorruptDownloadError(DownloadError):
  """A downloaded file refused (size, sha256, archive, no checkpoint); it is removed."""


def names():
  """The table's names, in its order (aliases not included)."""
  return list(CHECKPOINTS)


def get(name):
  """The `Checkpoint` of a table name or alias.

  Raises:
    ValueError: an unknown name; the message suggests the closest one.
  """
  if isinstance(name, str):
    name = ALIASES.get(name, name)
    if name in CHECKPOINTS:
      return CHECKPOINTS[name]
  raise _checks.unknown_name('checkpoint', name, list(CHECKPOINTS) + list(ALIASES))


def download_url(name):
  """The URL `name` is downloaded from: the published one, or the file of the
  same name under `$SLIM_CHECKPOINT_MIRROR` when that is set."""
  url = get(name).url
  mirror = os.environ.get(MIRROR_ENV)
  if mirror:
    return mirror.rstrip('/') + '/' + url.rsplit('/', 1)[1]
  return url


def cache_root(cache_dir=None):
  """`cache_dir`, else `$SLIM_CACHE_DIR`, else `~/.cache/slim` (user-expanded)."""
  root = cache_dir or os.environ.get(CACHE_ENV) or os.path.join('~', '.cache', 'slim')
  return os.path.expanduser(root)


def checkpoint_dir(name, cache_dir=None):
  """The directory the checkpoint `name` is extracted to: `<cache>/checkpoints/<name>`."""
  return os.path.join(cache_root(cache_dir), 'checkpoints', get(name).name)


def cached(name, cache_dir=None):
  """The checkpoint path of `name` in the cache, or None where it is not there."""
  directory = checkpoint_dir(name, cache_dir)
  try:
    with open(os.path.join(directory, _MANIFEST), encoding='utf-8') as f:
      path = os.path.join(directory, json.load(f)['checkpoint'])
  except (OSError, ValueError, KeyError, TypeError):
    return None
  return path if os.path.isfile(path) or os.path.isfile(path + '.index') else None


def download(name, cache_dir=None, progress=None, retries=3):
  """Downloads and extracts the checkpoint `name` unless it is in the cache.

  Args:
    name: a table name or alias (see `names()`, `ALIASES`).
    cache_dir: the cache's root (default: see `cache_root`).
    progress: None writes progress to stderr (bytes, MB/s, ETA: one refreshing
      line on a terminal, a line every 10 s otherwise); False writes nothing;
      a callable is called as `progress(bytes_done, bytes_total)` (total None
      where the server does not say).
    retries: how many times a transfer interrupted after receiving bytes is
      resumed at once before giving up.

  Returns:
    The checkpoint path for `tf.train.load_checkpoint` or `Saver.restore`: the
    prefix of a V2 checkpoint ('.../model.ckpt'), or the file of a V1 one.

  Raises:
    ValueError: an unknown name.
    DownloadError: the download failed; the partial file is kept and a rerun
      resumes it.
    CorruptDownloadError: the download is refused (size, sha256, an unsafe or
      unreadable archive, no checkpoint in it) and removed.
  """
  row = get(name)
  _checks.check_count('download', 'retries', retries, allow_zero=True)
  path = cached(row.name, cache_dir)
  if path:
    return path
  directory = checkpoint_dir(row.name, cache_dir)
  parent = os.path.dirname(directory)
  os.makedirs(parent, exist_ok=True)
  with _locked(parent):
    path = cached(row.name, cache_dir)  # another process may have made it meanwhile
    if path:
      return path
    url = download_url(row.name)
    partial = os.path.join(parent, '.%s.partial' % url.rsplit('/', 1)[1])
    if progress is None:
      sys.stderr.write('Downloading %s to %s\n' % (url, directory))
    report = _reporter(progress, row.name)
    try:
      _Transfer(url, partial, report).run(retries)
    finally:
      getattr(report, 'close', lambda: None)()
    digest = _sha256(partial)
    if row.sha256 and digest != row.sha256.lower():
      _remove(partial)
      raise CorruptDownloadError('%s: sha256 %s, expected %s; the file is removed, rerun to '
                                 'download it again' % (url, digest, row.sha256))
    path = _extract(partial, directory, row, url, digest)
    _remove(partial)
    return path


def resolve_checkpoint(value, cache_dir=None, progress=None):
  """The checkpoint path a --checkpoint_path flag means.

  Args:
    value: a checkpoint path or a published checkpoint name.
    cache_dir, progress: as for `download`.

  Returns:
    `value` unchanged where it names a checkpoint on disk: an existing file or
    directory, a V2 prefix whose '.index' exists, or a path on a remote file
    system ('gs://...', which is not checked here); else, where `value` is a
    table name or alias, the checkpoint path of `download(value)`, from the
    cache when it is there. A path wins over a name of the same spelling.

  Raises:
    ValueError: `value` is neither; the message suggests the closest name.
    DownloadError: as for `download`.
  """
  if not isinstance(value, str) or not value:
    raise ValueError('resolve_checkpoint: value must be a checkpoint path or a published '
                     'checkpoint name, received %r' % (value,))
  if '://' in value or os.path.exists(value) or os.path.exists(value + '.index'):
    return value
  if value in CHECKPOINTS or value in ALIASES:
    return download(value, cache_dir=cache_dir, progress=progress)
  hint = '' if os.sep in value or '/' in value else _checks.did_you_mean(
      value, list(CHECKPOINTS) + list(ALIASES))
  raise ValueError('resolve_checkpoint: %r is neither an existing checkpoint (a file, a '
                   'prefix with .index, a directory) nor a published checkpoint name.%s '
                   '(download_checkpoint --list shows the names)' % (value, hint))


class _Transfer(object):
  """The download of `url` into the file `partial`, resumed with HTTP Range."""

  def __init__(self, url, partial, report):
    self.url, self.partial, self.report = url, partial, report
    self.total = None  # the size the server declared first

  def run(self, retries):
    """Downloads until the file is complete; an interrupted transfer that
    received bytes is resumed at once, up to `retries` times."""
    while True:
      before = self._size()
      try:
        return self._attempt()
      except CorruptDownloadError:
        raise
      except DownloadError as error:
        if not error.resumable or not retries or self._size() <= before:
          raise
        retries -= 1

  def _size(self):
    return os.path.getsize(self.partial) if os.path.exists(self.partial) else 0

  def _fault(self, what, resumable=True):
    kept = self._size()
    advice = ('%s kept in %s; rerun to resume' % (_megabytes(kept), self.partial) if kept
              else 'rerun to try again')
    error = DownloadError('could not download %s: %s (%s)' % (self.url, what, advice))
    error.resumable = resumable
    return error

  def _refuse(self, what):
    _remove(self.partial)
    return CorruptDownloadError('%s: %s; the partial file is removed, rerun to download it '
                                'again' % (self.url, what))

  def _check_total(self, total):
    if total is not None and self.total is not None and total != self.total:
      raise self._refuse('the server declared %d bytes, then %d' % (self.total, total))
    self.total = total if self.total is None else self.total

  def _attempt(self):
    offset = self._size()
    request = urllib.request.Request(self.url, headers={'User-Agent': 'slim-tf'})
    if offset:
      request.add_header('Range', 'bytes=%d-' % offset)
    try:
      response = urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)
    except urllib.error.HTTPError as error:
      if error.code == 416 and offset:  # nothing after `offset`: complete, or too long
        total = _range_total(error.headers.get('Content-Range', ''))
        self._check_total(total)
        if total == offset:
          self.report(offset, total)
          return offset
        raise self._refuse('%d bytes were received but the file has %s'
                           % (offset, 'an unknown size' if total is None else total))
      raise self._fault('HTTP %d %s' % (error.code, error.reason), resumable=False)
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
      raise self._fault(_reason(error))
    with response:
      status = getattr(response, 'status', None) or 200  # file: URLs have none
      if status == 206:
        start, total = _content_range(response.headers.get('Content-Range', ''))
        if start != offset:
          raise self._refuse('asked for bytes from %d, the server sent them from %s'
                             % (offset, start))
      else:  # the whole file: the server ignores Range, or none was asked
        offset = 0
        length = response.headers.get('Content-Length')
        total = int(length) if length and length.isdigit() else None
      self._check_total(total)
      done = self._receive(response, offset)
    if self.total is not None and done > self.total:
      raise self._refuse('received %d bytes, the server declared %d' % (done, self.total))
    if self.total is not None and done < self.total:
      raise self._fault('the transfer stopped after %d of %d bytes' % (done, self.total))
    return done

  def _receive(self, response, offset):
    done = offset
    self.report(done, self.total)
    with open(self.partial, 'ab' if offset else 'wb') as f:
      try:
        while True:
          chunk = response.read(_CHUNK)
          if not chunk:
            break
          f.write(chunk)
          done += len(chunk)
          self.report(done, self.total)
      except (OSError, http.client.HTTPException) as error:
        f.flush()
        raise self._fault(_reason(error)) from None
    return done


def _reason(error):
  reason = getattr(error, 'reason', None) or error
  return ' '.join(str(reason).split()) or type(reason).__name__


def _content_range(text):
  """(start, total) of 'bytes START-END/TOTAL' (total None for '*')."""
  try:
    spec = text.split(' ', 1)[1]
    span, total = spec.split('/')
    start = int(span.split('-')[0])
    return start, (None if total.strip() == '*' else int(total))
  except (ValueError, IndexError):
    return None, None


def _range_total(text):
  """TOTAL of 'bytes */TOTAL', or None."""
  total = text.rsplit('/', 1)[-1].strip()
  return int(total) if total.isdigit() else None


def _megabytes(count):
  return '%.1f MB' % (count / 1e6)


def _reporter(progress, label):
  if progress is False:
    return lambda done, total: None
  if progress is not None:
    _checks.check_callable('download', 'progress', progress)
    return progress
  return _StderrProgress(label)


class _StderrProgress(object):
  """Writes 'label: 12.0 of 90.3 MB (13%), 4.1 MB/s, ETA 00:00:19' to stderr: a
  refreshing line on a terminal (5 a second), else a line every 10 s."""

  def __init__(self, label):
    self.label = label
    self.start = self.last = time.monotonic()
    self.first = None
    self.terminal = sys.stderr.isatty()
    self.open_line = False  # a refreshing line waits for its end

  def __call__(self, done, total):
    now = time.monotonic()
    if self.first is None:
      self.first = done  # bytes resumed from an earlier run: not counted in the speed
    complete = total is not None and done >= total
    if not complete and now - self.last < (0.2 if self.terminal else 10.0):
      return
    self.last = now
    speed = (done - self.first) / max(now - self.start, 1e-6)
    line = '%s: %s' % (self.label, _megabytes(done))
    if total:
      line = '%s: %.1f of %s (%d%%)' % (self.label, done / 1e6, _megabytes(total),
                                         100 * done // total)
    line += ', %.1f MB/s' % (speed / 1e6)
    if total and not complete and speed > 0:
      line += ', ETA %s' % time.strftime('%H:%M:%S', time.gmtime((total - done) / speed))
    if self.terminal:
      sys.stderr.write('\r' + line + ('\n' if complete else ''))
      self.open_line = not complete
    else:
      sys.stderr.write(line + '\n')
    sys.stderr.flush()

  def close(self):
    """Ends a refreshing line left open (an interrupted or unsized transfer)."""
    if self.open_line:
      sys.stderr.write('\n')
      self.open_line = False


def _sha256(path):
  digest = hashlib.sha256()
  with open(path, 'rb') as f:
    for block in iter(lambda: f.read(_CHUNK), b''):
      digest.update(block)
  return digest.hexdigest()


def _remove(path):
  with contextlib.suppress(FileNotFoundError):
    os.remove(path)


@contextlib.contextmanager
def _locked(directory):
  """Holds an exclusive lock on `directory` (where fcntl exists): downloads into
  one cache run one at a time, and leave no lock file behind."""
  try:
    import fcntl  # pylint: disable=import-outside-toplevel
  except ImportError:  # pragma: no cover - not POSIX
    yield
    return
  descriptor = os.open(directory, os.O_RDONLY)
  try:
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    yield
  finally:
    os.close(descriptor)  # releases the lock


def _unsafe(member):
  """Why the tar `member` may not be extracted, or None."""
  name = member.name.replace('\\', '/')
  if name.startswith('/') or os.path.isabs(member.name) or (len(name) > 1 and name[1] == ':'):
    return 'an absolute path'
  if '..' in name.split('/'):
    return "a '..' component"
  if not (member.isfile() or member.isdir()):
    return 'a link or special file'
  return None


def _extract(archive, directory, row, url, digest):
  """Extracts `archive` into `directory` through a temporary directory; returns
  the checkpoint path in it. Refuses (and removes) a bad archive."""
  from slim import _files  # pylint: disable=import-outside-toplevel
  try:
    with _files.renamed_when_complete(directory) as temporary:
      os.makedirs(temporary)
      with tarfile.open(archive, 'r:*') as tar:
        members = tar.getmembers()
        for member in members:
          why = _unsafe(member)
          if why:
            raise CorruptDownloadError('%s: refused, member %r is %s' % (url, member.name, why))
        options = {'filter': 'data'} if hasattr(tarfile, 'data_filter') else {}
        tar.extractall(temporary, members=members, **options)
      checkpoint = os.path.relpath(_find_checkpoint(temporary, url), temporary)
      manifest = {'name': row.name, 'url': url, 'sha256': digest, 'checkpoint': checkpoint}
      with open(os.path.join(temporary, _MANIFEST), 'w', encoding='utf-8') as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
  except CorruptDownloadError as error:
    _remove(archive)
    raise CorruptDownloadError('%s; the file is removed' % error) from None
  except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
    _remove(archive)
    raise CorruptDownloadError('%s: not a readable tar archive (%s); the file is removed, rerun '
                               'to download it again' % (url, _reason(error))) from None
  return os.path.join(directory, checkpoint)


def _find_checkpoint(directory, url):
  """The one checkpoint under `directory`: a V2 prefix (with .index and .data
  files) or a V1 '.ckpt' file; one under an 'ema' folder where there are several
  (MobileNet V3 ships 'ema' and 'pristine')."""
  found = []
  for root, folders, files in os.walk(directory):
    folders.sort()
    for name in sorted(files):
      if name.startswith('._'):  # macOS resource forks
        continue
      if name.endswith('.index') and any(other.startswith(name[:-len('index')] + 'data-')
                                         for other in files):
        found.append(os.path.join(root, name[:-len('.index')]))
      elif name.endswith('.ckpt'):
        found.append(os.path.join(root, name))
  if len(found) > 1:
    ema = [path for path in found
           if 'ema' in os.path.relpath(path, directory).split(os.sep)[:-1]]
    found = ema if len(ema) == 1 else found
  if len(found) != 1:
    listed = ', '.join(os.path.relpath(path, directory) for path in found) or 'none'
    raise CorruptDownloadError('%s: expected one checkpoint in the archive, found %s'
                               % (url, listed))
  return found[0]
