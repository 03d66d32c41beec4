// The usage-log writer (usage_log.h). Records are appended with O_APPEND writes and fsync'd
// at checkpoints only: a grant must not wait for a disk flush, and the signed checkpoint is
// the unit an auditor trusts anyway.
#include "network/usage_log.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/env.h"

namespace licet::network {
namespace {

using nlohmann::json;

Status Errno(const std::string& what, const std::string& path) {
  return Error(ErrorCode::kIoError, what + " " + path + ": " + std::strerror(errno));
}

std::string Dump(const json& j) {
  // Replace invalid UTF-8 (a hostile host or user name) rather than throw.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

// One firm's file: its descriptor and where its chain stands.
class UsageLogSet::File {
 public:
  File(std::string path, int fd, uint32_t firm, uint64_t next_seq, crypto::Hash prev,
       uint64_t unsigned_records, int64_t last_checkpoint)
      : path_(std::move(path)),
        fd_(fd),
        firm_(firm),
        next_seq_(next_seq),
        prev_(prev),
        unsigned_records_(unsigned_records),
        last_checkpoint_(last_checkpoint) {}
  ~File() { ::close(fd_); }
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  // Opens `path`, cutting off a torn last line, and reads where the chain stands from the
  // last complete line (lines are short: the last 2 * kUsageLogMaxLine bytes hold it).
  static Result<std::unique_ptr<File>> Open(const std::string& path, uint32_t firm, int64_t now) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return Errno("cannot open usage log", path);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      Status s = Errno("cannot stat usage log", path);
      ::close(fd);
      return s;
    }
    off_t size = st.st_size;
    off_t start = size > static_cast<off_t>(2 * kUsageLogMaxLine + 2)
                      ? size - static_cast<off_t>(2 * kUsageLogMaxLine + 2)
                      : 0;
    std::string tail(static_cast<size_t>(size - start), '\0');
    if (!tail.empty() &&
        ::pread(fd, tail.data(), tail.size(), start) != static_cast<ssize_t>(tail.size())) {
      Status s = Errno("cannot read usage log", path);
      ::close(fd);
      return s;
    }
    size_t last_nl = tail.rfind('\n');
    size_t keep = last_nl == std::string::npos ? 0 : last_nl + 1;
    if (keep < tail.size()) {  // a crash mid-write: the torn line was never acknowledged
      if (::ftruncate(fd, start + static_cast<off_t>(keep)) != 0) {
        Status s = Errno("cannot cut the torn line of", path);
        ::close(fd);
        return s;
      }
      spdlog::warn("usage log {}: cut off a torn last line ({} bytes)", path, tail.size() - keep);
      tail.resize(keep);
    }
    if (tail.empty()) return std::make_unique<File>(path, fd, firm, 0, crypto::Hash{}, 0, now);
    tail.pop_back();
    size_t line_start = tail.rfind('\n');
    line_start = line_start == std::string::npos ? 0 : line_start + 1;
    if (line_start == 0 && start != 0) {
      ::close(fd);
      return Error(ErrorCode::kCorruptData, "usage log " + path + ": last line too long");
    }
    std::string last = tail.substr(line_start);
    json j = json::parse(last, nullptr, false);
    auto seq = j.is_object() ? j.find("seq") : j.end();
    if (j.is_discarded() || !j.is_object() || seq == j.end() || !seq->is_number_unsigned()) {
      ::close(fd);
      return Error(ErrorCode::kCorruptData, "usage log " + path + ": last line unreadable");
    }
    auto event = j.find("event");
    bool checkpoint = event != j.end() && event->is_string() && *event == "checkpoint";
    // Records after the last checkpoint are counted as one, which makes the first append
    // after a restart sign them promptly.
    return std::make_unique<File>(path, fd, firm, seq->get<uint64_t>() + 1,
                                  crypto::Sha256(AsBytes(last)), checkpoint ? 0 : 1,
                                  checkpoint ? now : 0);
  }

  Status AppendRecord(const UsageEvent& e, int64_t now) {
    json j = {{"v", kUsageLogVersion}, {"seq", next_seq_},    {"prev", HexEncode(prev_)},
              {"time", now},           {"firm", firm_},       {"product", e.product_code},
              {"event", e.event},      {"client", e.client},  {"host", e.host},
              {"user", e.user},        {"mode", e.mode},      {"lease", e.lease},
              {"reason", e.reason},    {"address", e.address}};
    std::string line = Dump(j);
    if (line.size() > kUsageLogMaxLine) {  // long names: shorten, keep the line verifiable
      j["host"] = e.host.substr(0, 256);
      j["user"] = e.user.substr(0, 256);
      j["reason"] = e.reason.substr(0, 512);
      j["client"] = e.client.substr(0, 64);
      j["address"] = e.address.substr(0, 64);
      line = Dump(j);
    }
    LICET_RETURN_IF_ERROR(WriteLine(line));
    ++unsigned_records_;
    return Status::Ok();
  }

  Status AppendCheckpoint(const crypto::Ed25519Signer& signer, int64_t now) {
    LICET_ASSIGN_OR_RETURN(Bytes sig, signer.Sign(CheckpointMessage(firm_, next_seq_, now, prev_)));
    json j = {{"v", kUsageLogVersion}, {"seq", next_seq_}, {"prev", HexEncode(prev_)},
              {"time", now},           {"firm", firm_},    {"event", "checkpoint"},
              {"sig", HexEncode(sig)}};
    LICET_RETURN_IF_ERROR(WriteLine(Dump(j)));
    if (::fsync(fd_) != 0) return Errno("cannot fsync usage log", path_);
    unsigned_records_ = 0;
    last_checkpoint_ = now;
    return Status::Ok();
  }

  bool Due(const UsageLogOptions& o, int64_t now) const {
    return unsigned_records_ > 0 && (unsigned_records_ >= o.checkpoint_every ||
                                     now - last_checkpoint_ >= o.checkpoint_interval);
  }
  bool Dirty() const { return unsigned_records_ > 0; }

 private:
  Status WriteLine(const std::string& line) {
    std::string buf = line + '\n';
    ssize_t n = ::write(fd_, buf.data(), buf.size());
    if (n != static_cast<ssize_t>(buf.size())) {
      // A short append would leave a torn line mid-file: cut it off so that the chain stays
      // valid, and let the caller report the failure.
      if (n > 0) {
        struct stat st {};
        if (::fstat(fd_, &st) == 0) (void)::ftruncate(fd_, st.st_size - n);
      }
      return Errno("cannot append to usage log", path_);
    }
    prev_ = crypto::Sha256(AsBytes(line));
    ++next_seq_;
    return Status::Ok();
  }

  std::string path_;
  int fd_;
  uint32_t firm_;
  uint64_t next_seq_;
  crypto::Hash prev_;
  uint64_t unsigned_records_;
  int64_t last_checkpoint_;
};

Result<SecretBytes> LoadOrCreateUsageKey(const std::string& path) {
  Env& env = Env::Default();
  if (env.FileExists(path)) {
    LICET_ASSIGN_OR_RETURN(Bytes raw, env.ReadFile(path, 1024));
    SecretBytes key{ByteSpan(raw)};
    SecureWipe(raw.data(), raw.size());
    if (key.size() != crypto::kKeySize) {
      return Error(ErrorCode::kCorruptData,
                   "usage-log key " + path + " is not a 32-byte Ed25519 seed");
    }
    return key;
  }
  LICET_RETURN_IF_ERROR(env.CreateDirectories(DirName(path)));
  LICET_ASSIGN_OR_RETURN(crypto::KeyPair pair, crypto::Ed25519Generate());
  LICET_RETURN_IF_ERROR(env.WriteFileAtomic(path, pair.private_key.span(), 0600));
  return std::move(pair.private_key);
}

UsageLogSet::UsageLogSet(std::string dir, crypto::Ed25519Signer signer, const Clock* clock,
                         UsageLogOptions options)
    : dir_(std::move(dir)), signer_(std::move(signer)), clock_(clock), options_(options) {}

UsageLogSet::~UsageLogSet() {
  Status s = CheckpointAll();
  if (!s.ok()) spdlog::error("usage log: final checkpoint failed: {}", s.message());
}

Result<std::unique_ptr<UsageLogSet>> UsageLogSet::Create(const std::string& dir,
                                                         const SecretBytes& key, const Clock* clock,
                                                         UsageLogOptions options) {
  LICET_ASSIGN_OR_RETURN(crypto::Ed25519Signer signer, crypto::Ed25519Signer::Create(key));
  LICET_RETURN_IF_ERROR(Env::Default().CreateDirectories(dir));
  if (options.checkpoint_every == 0) options.checkpoint_every = 1;
  return std::unique_ptr<UsageLogSet>(new UsageLogSet(dir, std::move(signer), clock, options));
}

std::string UsageLogSet::PathFor(uint32_t firm_code) const {
  return JoinPath(dir_, std::to_string(firm_code) + ".log");
}

Status UsageLogSet::Append(const UsageEvent& event) {
  int64_t now = clock_->Now();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(event.firm_code);
  if (it == files_.end()) {
    LICET_ASSIGN_OR_RETURN(auto file, File::Open(PathFor(event.firm_code), event.firm_code, now));
    it = files_.emplace(event.firm_code, std::move(file)).first;
  }
  LICET_RETURN_IF_ERROR(it->second->AppendRecord(event, now));
  if (it->second->Due(options_, now)) {
    LICET_RETURN_IF_ERROR(it->second->AppendCheckpoint(signer_, now));
  }
  return Status::Ok();
}

Status UsageLogSet::CheckpointAll() { return Checkpoint(/*only_due=*/false); }
Status UsageLogSet::CheckpointDue() { return Checkpoint(/*only_due=*/true); }

Status UsageLogSet::Checkpoint(bool only_due) {
  int64_t now = clock_->Now();
  std::lock_guard<std::mutex> lock(mu_);
  Status first = Status::Ok();
  for (auto& [firm, file] : files_) {
    if (only_due ? !file->Due(options_, now) : !file->Dirty()) continue;
    Status s = file->AppendCheckpoint(signer_, now);
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

}  // namespace licet::network
