// superpose/bows (internal): the container shared by the CSR and checkpoint files. A first text line (magic and
// version), the JSON header's byte length as 8 little-endian bytes, the JSON header, then raw little-endian arrays.
#pragma once

#include "core/core.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace superpose::bows::detail {

static_assert(std::endian::native == std::endian::little, "superpose bows files are little-endian");

template <class T>
void append_pod(std::string& out, const T* data, std::size_t n) {
  out.append(reinterpret_cast<const char*>(data), n * sizeof(T));
}

inline std::string pack_file(const std::string& magic, const nlohmann::json& header, const std::string& body) {
  const std::string h = header.dump();
  const std::uint64_t len = h.size();
  std::string out = magic + "\n";
  append_pod(out, &len, 1);
  out += h;
  out += body;
  return out;
}

inline void unpack_file(const std::string& path, const std::string& magic, nlohmann::json& header,
                        std::string& body) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("'{}': cannot read (missing file?)", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string all = ss.str();
  const std::string m = magic + "\n";
  if (all.compare(0, m.size(), m) != 0)
    throw InputError(fmt::format("'{}': not a {} file (bad magic line)", path, magic));
  std::uint64_t len = 0;
  if (all.size() < m.size() + 8) throw InputError(fmt::format("'{}': truncated header", path));
  std::memcpy(&len, all.data() + m.size(), 8);
  if (len > all.size() - m.size() - 8) throw InputError(fmt::format("'{}': truncated header", path));
  try {
    header = nlohmann::json::parse(all.substr(m.size() + 8, len));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("'{}': header is not JSON ({})", path, e.what()));
  }
  body = all.substr(m.size() + 8 + len);
}

struct Reader {
  const std::string& body;
  std::string path;
  std::size_t pos = 0;
  template <class T>
  void read(T* out, std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes > body.size() - pos) throw InputError(fmt::format("'{}': truncated data", path));
    std::memcpy(out, body.data() + pos, bytes);
    pos += bytes;
  }
  void expect_end() const {
    if (pos != body.size()) throw InputError(fmt::format("'{}': {} trailing bytes (corrupt file)", path, body.size() - pos));
  }
};

}  // namespace superpose::bows::detail
