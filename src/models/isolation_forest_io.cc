// The Isolation Forest file format, version 1 (docs/MODELS.md, "File format"). All integers and doubles
// little-endian:
//   magic "FSIFORST" (8 bytes) | u32 version | u32 flags (0) | u64 payload_size | payload | u32 crc32
// where crc32 (zlib's CRC-32) covers every byte before it. The payload:
//   u32 num_features, u32 num_trees, u32 psi, u32 max_depth, u64 seed, f64 c(psi)
//   summary: u64 rows, u64 calibration_rows, u64 missing_values, f64 p50, p90, p99, p999, max,
//            f64 warning, critical, warning_quantile, critical_quantile
//   per feature: u32 name_length, name bytes, f64 fill, f64 mean, f64 std
//   u32 roots[num_trees + 1] (the last is the node count)
//   per node: f64 value, i32 feature, u32 right, u32 size
#include <zlib.h>

#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <system_error>

#include "models/isolation_forest.h"

namespace foresight::models {
namespace {

static_assert(std::endian::native == std::endian::little, "the model format is little-endian");

constexpr char kMagic[8] = {'F', 'S', 'I', 'F', 'O', 'R', 'S', 'T'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 8 + 4 + 4 + 8;

class Writer {
 public:
  template <typename T>
  void Put(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out_.append(b, sizeof(T));
  }
  void PutBytes(std::string_view s) { out_.append(s); }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <typename T>
  bool Get(T* v) {
    if (in_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(v, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool GetBytes(size_t n, std::string* out) {
    if (in_.size() - pos_ < n) return false;
    out->assign(in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  size_t remaining() const { return in_.size() - pos_; }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

uint32_t Crc32(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths; feed in chunks for files over 4 GiB.
  size_t off = 0;
  while (off < bytes.size()) {
    const uInt len = static_cast<uInt>(std::min<size_t>(bytes.size() - off, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + off), len);
    off += len;
  }
  return static_cast<uint32_t>(crc);
}

Status Corrupt(const std::string& what) { return Status::DataLoss("isolation forest model", what); }

}  // namespace

// Friend of IsolationForestModel: the only code that touches its fields for (de)serialisation.
class ModelCodec {
 public:
  static std::string Encode(const IsolationForestModel& m) {
    Writer p;
    p.Put<uint32_t>(static_cast<uint32_t>(m.num_features()));
    p.Put<uint32_t>(static_cast<uint32_t>(m.num_trees()));
    p.Put<uint32_t>(static_cast<uint32_t>(m.psi_));
    p.Put<uint32_t>(static_cast<uint32_t>(m.max_depth_));
    p.Put<uint64_t>(m.seed_);
    p.Put<double>(m.c_psi_);
    const TrainingSummary& s = m.summary_;
    p.Put<uint64_t>(s.rows);
    p.Put<uint64_t>(s.calibration_rows);
    p.Put<uint64_t>(s.missing_values);
    for (double v : {s.score_p50, s.score_p90, s.score_p99, s.score_p999, s.score_max, s.warning, s.critical,
                     s.warning_quantile, s.critical_quantile}) {
      p.Put<double>(v);
    }
    for (size_t f = 0; f < m.num_features(); ++f) {
      p.Put<uint32_t>(static_cast<uint32_t>(m.feature_names_[f].size()));
      p.PutBytes(m.feature_names_[f]);
      p.Put<double>(m.fill_[f]);
      p.Put<double>(m.mean_[f]);
      p.Put<double>(m.std_[f]);
    }
    for (uint32_t r : m.roots_) p.Put<uint32_t>(r);
    // In the file a leaf is feature -1 with its path length as value (the in-memory self-loop is a scoring
    // detail and stays out of the format).
    for (size_t t = 0; t + 1 < m.roots_.size(); ++t) {
      for (uint32_t i = 0; i < m.roots_[t + 1] - m.roots_[t]; ++i) {
        const size_t k = m.roots_[t] + i;
        const auto& n = m.nodes_[k];
        const bool leaf = n.right == k;
        p.Put<double>(leaf ? m.leaf_len_[k] : n.threshold);
        p.Put<int32_t>(leaf ? -1 : n.feature);
        p.Put<uint32_t>(leaf ? 0 : n.right - m.roots_[t]);
        p.Put<uint32_t>(m.size_[k]);
      }
    }
    Writer w;
    w.PutBytes(std::string_view(kMagic, sizeof(kMagic)));
    w.Put<uint32_t>(kVersion);
    w.Put<uint32_t>(0);
    w.Put<uint64_t>(p.str().size());
    w.PutBytes(p.str());
    w.Put<uint32_t>(Crc32(w.str()));
    return std::move(w.str());
  }

  static Result<IsolationForestPtr> Decode(std::string_view bytes) {
    if (bytes.size() < kHeaderSize + 4) return Corrupt("truncated header");
    if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) return Corrupt("bad magic");
    Reader h(bytes.substr(sizeof(kMagic)));
    uint32_t version = 0, flags = 0;
    uint64_t payload_size = 0;
    (void)h.Get(&version);
    (void)h.Get(&flags);
    (void)h.Get(&payload_size);
    if (payload_size != bytes.size() - kHeaderSize - 4) return Corrupt("size mismatch (truncated?)");
    uint32_t stored_crc = 0;
    std::memcpy(&stored_crc, bytes.data() + bytes.size() - 4, 4);
    if (Crc32(bytes.substr(0, bytes.size() - 4)) != stored_crc) return Corrupt("checksum mismatch");
    if (version > kVersion) {
      return Status::FailedPrecondition("isolation forest model",
                                        "format version " + std::to_string(version) + " is newer than supported");
    }
    if (version != kVersion) return Corrupt("unknown format version " + std::to_string(version));

    Reader r(bytes.substr(kHeaderSize, payload_size));
    auto m = std::make_shared<IsolationForestModel>(IsolationForestModel::Key{});
    uint32_t d = 0, trees = 0, psi = 0, max_depth = 0;
    bool ok = r.Get(&d) && r.Get(&trees) && r.Get(&psi) && r.Get(&max_depth) && r.Get(&m->seed_) &&
              r.Get(&m->c_psi_);
    TrainingSummary& s = m->summary_;
    ok = ok && r.Get(&s.rows) && r.Get(&s.calibration_rows) && r.Get(&s.missing_values);
    for (double* v : {&s.score_p50, &s.score_p90, &s.score_p99, &s.score_p999, &s.score_max, &s.warning,
                      &s.critical, &s.warning_quantile, &s.critical_quantile}) {
      ok = ok && r.Get(v);
    }
    if (!ok) return Corrupt("truncated payload");
    if (d == 0 || trees == 0 || psi < 2 || max_depth > 64) return Corrupt("implausible dimensions");
    if (!(m->c_psi_ > 0) || std::abs(m->c_psi_ - IsolationForestModel::AveragePathLength(psi)) > 1e-9) {
      return Corrupt("c(psi) inconsistent with psi");
    }
    // Each feature takes at least 28 bytes and each tree at least 24: bound allocations by the input size.
    if (static_cast<uint64_t>(d) * 28 > r.remaining() || static_cast<uint64_t>(trees) * 24 > r.remaining()) {
      return Corrupt("dimensions exceed the file size");
    }
    m->psi_ = static_cast<int>(psi);
    m->max_depth_ = static_cast<int>(max_depth);
    m->feature_names_.resize(d);
    m->fill_.resize(d);
    m->mean_.resize(d);
    m->std_.resize(d);
    for (uint32_t f = 0; f < d; ++f) {
      uint32_t len = 0;
      if (!r.Get(&len) || !r.GetBytes(len, &m->feature_names_[f]) || !r.Get(&m->fill_[f]) ||
          !r.Get(&m->mean_[f]) || !r.Get(&m->std_[f])) {
        return Corrupt("truncated feature table");
      }
    }
    m->roots_.resize(trees + 1);
    for (uint32_t& root : m->roots_) {
      if (!r.Get(&root)) return Corrupt("truncated tree table");
    }
    const uint64_t num_nodes = m->roots_.back();
    if (num_nodes * 20 != r.remaining()) return Corrupt("node table size mismatch");
    std::vector<FileNode> nodes(num_nodes);
    for (FileNode& n : nodes) {
      (void)(r.Get(&n.value) && r.Get(&n.feature) && r.Get(&n.right) && r.Get(&n.size));
    }
    FS_RETURN_IF_ERROR(Validate(m->roots_, nodes, d));
    m->nodes_.resize(num_nodes);
    m->leaf_len_.assign(num_nodes, 0);
    m->size_.resize(num_nodes);
    for (size_t t = 0; t < trees; ++t) {
      for (uint32_t i = 0; i < m->roots_[t + 1] - m->roots_[t]; ++i) {
        const size_t k = m->roots_[t] + i;
        const FileNode& f = nodes[k];
        if (f.feature < 0) {
          m->nodes_[k] = {-std::numeric_limits<double>::infinity(), 0, static_cast<uint32_t>(k)};
          m->leaf_len_[k] = f.value;
        } else {
          m->nodes_[k] = {f.value, f.feature, m->roots_[t] + f.right};
        }
        m->size_[k] = f.size;
      }
    }
    m->ComputeWalkDepth();
    return IsolationForestPtr(std::move(m));
  }

 private:
  struct FileNode {
    double value = 0;
    int32_t feature = 0;
    uint32_t right = 0;
    uint32_t size = 0;
  };

  // Structural checks so that scoring a loaded model can neither loop nor read out of bounds, even if a
  // file passed the checksum by accident or was crafted.
  static Status Validate(const std::vector<uint32_t>& roots, const std::vector<FileNode>& nodes, size_t d) {
    if (roots.front() != 0) return Corrupt("first tree does not start at node 0");
    for (size_t t = 0; t + 1 < roots.size(); ++t) {
      const uint32_t begin = roots[t], end = roots[t + 1];
      if (end <= begin || end > nodes.size()) return Corrupt("tree bounds");
      const uint32_t size = end - begin;
      for (uint32_t i = 0; i < size; ++i) {
        const FileNode& n = nodes[begin + i];
        if (n.size == 0) return Corrupt("empty node");
        if (n.feature < 0) {
          if (n.feature != -1 || !std::isfinite(n.value) || n.value < 0) return Corrupt("bad leaf");
          continue;
        }
        // Children strictly after their parent (pre-order) makes every walk terminate.
        if (static_cast<size_t>(n.feature) >= d || i + 1 >= size || n.right <= i + 1 || n.right >= size ||
            std::isnan(n.value)) {
          return Corrupt("bad split node");
        }
        // Explain() divides by child sizes: they must partition the parent's rows.
        if (static_cast<uint64_t>(nodes[begin + i + 1].size) + nodes[begin + n.right].size != n.size) {
          return Corrupt("child sizes do not add up");
        }
      }
    }
    return Status::Ok();
  }
};

std::string IsolationForestModel::Serialize() const { return ModelCodec::Encode(*this); }

Result<IsolationForestPtr> IsolationForestModel::Deserialize(std::string_view bytes) {
  return ModelCodec::Decode(bytes);
}

Status IsolationForestModel::Save(const std::string& path) const {
  const std::string bytes = Serialize();
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::Unavailable("model save", tmp, std::strerror(errno));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) return Status::Unavailable("model save", tmp, "write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::Unavailable("model save", path, std::strerror(errno));
  }
  return Status::Ok();
}

Result<IsolationForestPtr> IsolationForestModel::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return Status::NotFound("model load", path);
    return Status::Unavailable("model load", path, std::strerror(errno));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::Unavailable("model load", path, "read failed");
  auto model = Deserialize(ss.str());
  if (!model.ok()) return model.status().WithContext(path);
  return model;
}

}  // namespace foresight::models
