#include "bench/openssl_baseline.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sstream>

extern char** environ;

namespace licet::bench {
namespace {

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  for (std::string_view line : Split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
  }
  return lines;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// A strictly positive finite number filling the whole field (from_chars: no locale).
bool ParseRate(std::string_view field, double* out) {
  double v = 0;
  auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  if (ec != std::errc() || end != field.data() + field.size() || !std::isfinite(v) || v <= 0) {
    return false;
  }
  *out = v;
  return true;
}

bool ParseSize(std::string_view field, size_t* out) {
  auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), *out);
  return ec == std::errc() && end == field.data() + field.size() && !field.empty();
}

Status Missing(std::string_view what, std::string_view output) {
  std::string tail(output.substr(output.size() > 400 ? output.size() - 400 : 0));
  return Error(ErrorCode::kCorruptData, "openssl speed printed no " + std::string(what) +
                                            " result; its output ended:\n" + tail);
}

// Runs argv[0] (looked up in PATH) with stdout and stderr captured together, so that an
// error message from openssl ends up in ours. Waits for it to exit.
Result<std::string> RunCapture(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return Error(ErrorCode::kIoError, std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    if (rc == ENOENT) {
      return Error(ErrorCode::kNotFound,
                   "'" + argv[0] + "' not found: the benchmarks compare with `openssl speed`; " +
                       "install it (Debian: apt-get install openssl) or set LICET_OPENSSL");
    }
    return Error(ErrorCode::kIoError, "cannot run '" + argv[0] + "': " + std::strerror(rc));
  }
  std::string output;
  char buf[4096];
  while (true) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n > 0) {
      output.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string command;
    for (const std::string& a : argv) command += (command.empty() ? "" : " ") + a;
    return Error(ErrorCode::kIoError, "'" + command + "' failed:\n" + output);
  }
  return output;
}

}  // namespace

double OpensslBaseline::Ed25519SignVerifyPerS() const {
  if (ed25519_sign_per_s <= 0 || ed25519_verify_per_s <= 0) return 0;
  return 1.0 / (1.0 / ed25519_sign_per_s + 1.0 / ed25519_verify_per_s);
}

double OpensslBaseline::AesGcmOpsPerS(size_t n, bool* exact) const {
  if (exact != nullptr) *exact = aes_gcm_bytes_per_s.count(n) > 0;
  if (aes_gcm_bytes_per_s.empty() || n == 0) return 0;
  // The nearest measured size; ties go to the smaller one.
  auto best = aes_gcm_bytes_per_s.begin();
  for (auto it = aes_gcm_bytes_per_s.begin(); it != aes_gcm_bytes_per_s.end(); ++it) {
    auto distance = [n](size_t size) { return size > n ? size - n : n - size; };
    if (distance(it->first) < distance(best->first)) best = it;
  }
  return best->second / static_cast<double>(n);
}

std::string OpensslBaseline::Describe() const {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(0);
  out << "baseline: " << version << ", openssl speed -elapsed -seconds " << seconds << "\n"
      << "  ed25519 sign " << ed25519_sign_per_s << "/s, verify " << ed25519_verify_per_s
      << "/s, sign+verify " << Ed25519SignVerifyPerS() << "/s\n"
      << "  x25519 derive " << x25519_derive_per_s << "/s\n";
  for (const auto& [size, rate] : aes_gcm_bytes_per_s) {
    out << "  aes-256-gcm " << size << " B: " << rate / 1e6 << " MB/s ("
        << rate / static_cast<double>(size) << " messages/s)\n";
  }
  return out.str();
}

Result<Ed25519Rates> ParseEd25519Speed(std::string_view output) {
  for (std::string_view line : Lines(output)) {
    if (!line.starts_with("+F6:")) continue;
    std::vector<std::string_view> f = Split(line, ':');
    if (f.size() != 6 || !EqualsIgnoreCase(f[3], "Ed25519")) continue;
    Ed25519Rates rates;
    if (!ParseRate(f[4], &rates.sign_per_s) || !ParseRate(f[5], &rates.verify_per_s)) {
      return Error(ErrorCode::kCorruptData,
                   "bad Ed25519 line from openssl speed: " + std::string(line));
    }
    return rates;
  }
  return Missing("Ed25519 (+F6)", output);
}

Result<double> ParseX25519Speed(std::string_view output) {
  for (std::string_view line : Lines(output)) {
    if (!line.starts_with("+F5:")) continue;
    std::vector<std::string_view> f = Split(line, ':');
    if (f.size() < 5 || f[2] != "253") continue;
    double rate = 0;
    // The rate is next to last: the last field is its inverse (seconds per operation).
    if (!ParseRate(f[f.size() - 2], &rate)) {
      return Error(ErrorCode::kCorruptData,
                   "bad X25519 line from openssl speed: " + std::string(line));
    }
    return rate;
  }
  return Missing("X25519 (+F5)", output);
}

Result<double> ParseCipherSpeed(std::string_view output, std::string_view cipher, size_t bytes) {
  std::vector<size_t> sizes;
  for (std::string_view line : Lines(output)) {
    if (line.starts_with("+H:")) {
      sizes.clear();
      std::vector<std::string_view> f = Split(line, ':');
      for (size_t i = 1; i < f.size(); ++i) {
        size_t size = 0;
        if (!ParseSize(f[i], &size)) {
          return Error(ErrorCode::kCorruptData,
                       "bad size line from openssl speed: " + std::string(line));
        }
        sizes.push_back(size);
      }
      continue;
    }
    if (!line.starts_with("+F:")) continue;
    std::vector<std::string_view> f = Split(line, ':');
    if (f.size() < 4 || !EqualsIgnoreCase(f[2], cipher)) continue;
    if (f.size() - 3 != sizes.size()) {
      return Error(ErrorCode::kCorruptData, "openssl speed printed " +
                                                std::to_string(f.size() - 3) + " results for " +
                                                std::to_string(sizes.size()) + " sizes");
    }
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (sizes[i] != bytes) continue;
      double rate = 0;
      if (!ParseRate(f[3 + i], &rate)) {
        return Error(ErrorCode::kCorruptData,
                     "bad cipher line from openssl speed: " + std::string(line));
      }
      return rate;
    }
  }
  return Missing(std::string(cipher) + " at " + std::to_string(bytes) + " bytes (+H/+F)", output);
}

BaselineOptions OptionsFromEnvironment(BaselineOptions options) {
  if (const char* path = std::getenv("LICET_OPENSSL"); path != nullptr && *path != '\0') {
    options.openssl = path;
  }
  return options;
}

Result<OpensslBaseline> MeasureOpensslBaseline(const BaselineOptions& options) {
  if (options.seconds < 1) {
    return Error(ErrorCode::kInvalidArgument, "openssl speed needs >= 1 second");
  }
  OpensslBaseline b;
  b.seconds = options.seconds;
  LICET_ASSIGN_OR_RETURN(std::string version, RunCapture({options.openssl, "version"}));
  while (!version.empty() && (version.back() == '\n' || version.back() == '\r')) version.pop_back();
  b.version = version;

  const std::string seconds = std::to_string(options.seconds);
  LICET_ASSIGN_OR_RETURN(
      std::string pki, RunCapture({options.openssl, "speed", "-elapsed", "-mr", "-seconds", seconds,
                                   "ed25519", "ecdhx25519"}));
  LICET_ASSIGN_OR_RETURN(Ed25519Rates ed, ParseEd25519Speed(pki));
  b.ed25519_sign_per_s = ed.sign_per_s;
  b.ed25519_verify_per_s = ed.verify_per_s;
  LICET_ASSIGN_OR_RETURN(b.x25519_derive_per_s, ParseX25519Speed(pki));

  for (size_t size : options.aes_gcm_sizes) {
    LICET_ASSIGN_OR_RETURN(std::string aes, RunCapture({options.openssl, "speed", "-elapsed", "-mr",
                                                        "-seconds", seconds, "-evp", "aes-256-gcm",
                                                        "-bytes", std::to_string(size)}));
    LICET_ASSIGN_OR_RETURN(b.aes_gcm_bytes_per_s[size], ParseCipherSpeed(aes, "AES-256-GCM", size));
  }
  return b;
}

}  // namespace licet::bench
