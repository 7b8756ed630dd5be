#include "app/deviation.h"

#include <algorithm>
#include <cmath>

namespace foresight::app {
namespace {

constexpr double kLevelRelativeFloor = 0.5;

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  size_t k = static_cast<size_t>(std::clamp(q, 0.0, 1.0) * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

}  // namespace

Result<DeviationModel> DeviationModel::Fit(std::span<const double> rows, const std::vector<std::string>& names,
                                           const std::vector<std::string>& suffixes, double warning_quantile,
                                           double critical_quantile) {
  DeviationModel m;
  const size_t d = names.size();
  if (d == 0 || rows.size() < d) return Status::InvalidArgument("deviation model: no training rows");
  const size_t n = rows.size() / d;
  for (size_t f = 0; f < d; ++f) {
    for (const auto& s : suffixes) {
      if (names[f].size() > s.size() && names[f].ends_with(s)) m.features_.push_back(f);
    }
  }
  if (m.features_.empty()) return Status::InvalidArgument("deviation model: no feature ends in the given suffixes");
  for (size_t f : m.features_) {
    std::vector<double> col;
    col.reserve(n);
    for (size_t r = 0; r < n; ++r) {
      double v = rows[r * d + f];
      if (std::isfinite(v)) col.push_back(v);
    }
    double med = Quantile(col, 0.5);
    std::vector<double> dev;
    dev.reserve(col.size());
    for (double v : col) dev.push_back(std::fabs(v - med));
    double mad = 1.4826 * Quantile(dev, 0.5);
    // A (near-)constant feature gets a floor so that its first real move scores high but finite.
    double floor = 1e-6 + 1e-3 * std::fabs(med);
    m.center_.push_back(med);
    m.scale_.push_back(std::max(mad, floor));
    // Scoring divides by the feature's own tail so that heavy-tailed features (a trend that is flat
    // but for rare cleanups has a tiny MAD) do not dominate the maximum over features.
    double tail = std::max(Quantile(dev, 0.999), std::max(mad, floor));
    // A level must also move by a practical amount: half its typical value. Without this, the EWMA of
    // a noisy but steady rate (errors at 0.22 %) has so tight a spread that 0.33 % reads as 13 sd.
    if (names[f].ends_with(".ewma")) tail = std::max(tail, kLevelRelativeFloor * std::fabs(med));
    m.tail_.push_back(tail);
  }
  // A trend must also matter in practice: move the metric's typical level by half within an hour.
  for (size_t i = 0; i < m.features_.size(); ++i) {
    const std::string& name = names[m.features_[i]];
    if (!name.ends_with(".slope_15m")) continue;
    std::string level = name.substr(0, name.size() - std::string_view(".slope_15m").size()) + ".ewma";
    for (size_t j = 0; j < m.features_.size(); ++j) {
      if (names[m.features_[j]] == level) {
        m.tail_[i] = std::max(m.tail_[i], kLevelRelativeFloor * std::fabs(m.center_[j]) / 3600.0);
      }
    }
  }
  std::vector<double> maxz;
  maxz.reserve(n);
  for (size_t r = 0; r < n; ++r) maxz.push_back(std::fabs(m.Max(rows.subspan(r * d, d)).tail_ratio));
  m.p50_ = Quantile(maxz, 0.5);
  m.warning_ = std::max(Quantile(maxz, warning_quantile), m.p50_ * 1.5);
  m.critical_ = std::max(Quantile(maxz, critical_quantile), m.warning_ * 1.25);
  return m;
}

Deviation DeviationModel::Max(std::span<const double> row) const {
  Deviation best;
  for (size_t i = 0; i < features_.size(); ++i) {
    double v = row[features_[i]];
    if (!std::isfinite(v)) continue;
    double r = (v - center_[i]) / tail_[i];
    if (std::fabs(r) > std::fabs(best.tail_ratio)) best = Deviation{features_[i], (v - center_[i]) / scale_[i], r};
  }
  return best;
}

double DeviationModel::Score(std::span<const double> row) const {
  double z = std::fabs(Max(row).tail_ratio);
  const double knots[][2] = {{0, 0}, {p50_, 0.25}, {warning_, 0.6}, {critical_, 0.8}, {2 * critical_, 1}};
  for (size_t i = 1; i < std::size(knots); ++i) {
    if (z <= knots[i][0]) {
      double span = knots[i][0] - knots[i - 1][0];
      double t = span > 0 ? (z - knots[i - 1][0]) / span : 1;
      return knots[i - 1][1] + t * (knots[i][1] - knots[i - 1][1]);
    }
  }
  return 1;
}

double DeviationModel::center(size_t feature) const {
  for (size_t i = 0; i < features_.size(); ++i) {
    if (features_[i] == feature) return center_[i];
  }
  return std::nan("");
}

double DeviationModel::scale(size_t feature) const {
  for (size_t i = 0; i < features_.size(); ++i) {
    if (features_[i] == feature) return scale_[i];
  }
  return std::nan("");
}

nlohmann::json DeviationModel::ToJson() const {
  return {{"features", features_}, {"center", center_}, {"scale", scale_}, {"tail", tail_},
          {"p50", p50_}, {"warning", warning_}, {"critical", critical_}};
}

Result<DeviationModel> DeviationModel::FromJson(const nlohmann::json& j) {
  DeviationModel m;
  try {
    m.features_ = j.at("features").get<std::vector<size_t>>();
    m.center_ = j.at("center").get<std::vector<double>>();
    m.scale_ = j.at("scale").get<std::vector<double>>();
    m.tail_ = j.at("tail").get<std::vector<double>>();
    m.p50_ = j.at("p50").get<double>();
    m.warning_ = j.at("warning").get<double>();
    m.critical_ = j.at("critical").get<double>();
  } catch (const nlohmann::json::exception& e) {
    return Status::DataLoss("deviation model", e.what());
  }
  if (m.features_.size() != m.center_.size() || m.center_.size() != m.scale_.size() ||
      m.scale_.size() != m.tail_.size()) {
    return Status::DataLoss("deviation model", "inconsistent sizes");
  }
  return m;
}

}  // namespace foresight::app
