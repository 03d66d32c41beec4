// licet-core benchmarks: COSE sign/verify and encrypt/decrypt, update create and import,
// container open. Each is reported as a ratio to `openssl speed` measured in the same run
// (DESIGN §6); the figures go into docs/PERFORMANCE.md.
//
//   build/bench/core_bench                  full run (under a minute)
//   LICET_BENCH_SMOKE=1 build/bench/core_bench --benchmark_min_time=0.01   CI smoke run
//
// Timing is wall-clock throughout. Imports write the container file for real: temp file,
// fsync, rename, fsync of the directory.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>

#include "bench/core_fixture.h"
#include "bench/openssl_baseline.h"
#include "bench/ratio_report.h"
#include "crypto/crypto.h"
#include "engine/soft_container.h"
#include "engine/update_file.h"
#include "format/cose.h"
#include "model/operation.h"

namespace licet::bench {
namespace {

constexpr size_t kSignedPayloadSize = 1024;  // about a context file with a few products
constexpr size_t kSealedPayloadSize = 4096;  // an update of a dozen products (one is ~300 B)

bool SmokeMode() {
  const char* smoke = std::getenv("LICET_BENCH_SMOKE");
  return smoke != nullptr && std::strcmp(smoke, "1") == 0;
}

// Stops the benchmark on a failed operation: a benchmark of an error path measures nothing.
template <typename T>
bool Check(benchmark::State& state, const Result<T>& r) {
  if (r.ok()) return true;
  state.SkipWithError(r.status().ToString().c_str());
  return false;
}
bool Check(benchmark::State& state, const Status& s) {
  if (s.ok()) return true;
  state.SkipWithError(s.ToString().c_str());
  return false;
}

Status RegisterCose(RatioReport& report, const OpensslBaseline& base) {
  const Baseline sign{"openssl ed25519 sign", "", base.ed25519_sign_per_s};
  const Baseline verify{"openssl ed25519 verify", "", base.ed25519_verify_per_s};
  const Baseline sign_verify{"openssl ed25519 sign+verify", "", base.Ed25519SignVerifyPerS()};
  const Baseline aes{"openssl aes-256-gcm 4096 B", "", base.AesGcmOpsPerS(kSealedPayloadSize)};
  const Baseline x25519{"openssl x25519 derive", "vs_x25519", base.x25519_derive_per_s};

  // Shared by the cases below, which run after this function returns.
  struct Keys {
    Bytes payload = crypto::RandomBytes(kSignedPayloadSize);
    Bytes sealed_payload = crypto::RandomBytes(kSealedPayloadSize);
    Bytes aad = ToBytes("LICET bench aad");
    crypto::KeyPair sig;
    crypto::KeyPair enc;
    Bytes signed_message;
    Bytes encrypted_message;
  };
  auto keys = std::make_shared<Keys>();
  LICET_ASSIGN_OR_RETURN(keys->sig, crypto::Ed25519Generate());
  LICET_ASSIGN_OR_RETURN(keys->enc, crypto::X25519Generate());
  LICET_ASSIGN_OR_RETURN(keys->signed_message,
                         format::CoseSign1Sign(keys->payload, keys->aad, keys->sig.private_key));
  LICET_ASSIGN_OR_RETURN(
      keys->encrypted_message,
      format::CoseEncryptX25519(keys->sealed_payload, keys->aad, keys->enc.public_key, {}));

  report.Add("cose_sign1_sign_1k", {sign}, [keys](benchmark::State& state) {
    const Keys& k = *keys;
    for (auto _ : state) {
      auto msg = format::CoseSign1Sign(k.payload, k.aad, k.sig.private_key);
      if (!Check(state, msg)) break;
      benchmark::DoNotOptimize(msg);
    }
  });
  report.Add("cose_sign1_open_1k", {verify}, [keys](benchmark::State& state) {
    const Keys& k = *keys;
    for (auto _ : state) {
      auto payload = format::CoseSign1Open(k.signed_message, k.aad, k.sig.public_key);
      if (!Check(state, payload)) break;
      benchmark::DoNotOptimize(payload);
    }
  });
  report.Add("cose_sign1_sign_open_1k", {sign_verify}, [keys](benchmark::State& state) {
    const Keys& k = *keys;
    for (auto _ : state) {
      auto msg = format::CoseSign1Sign(k.payload, k.aad, k.sig.private_key);
      if (!Check(state, msg)) break;
      auto payload = format::CoseSign1Open(*msg, k.aad, k.sig.public_key);
      if (!Check(state, payload)) break;
      benchmark::DoNotOptimize(payload);
    }
  });
  report.Add("cose_encrypt_x25519_4k", {aes, x25519}, [keys](benchmark::State& state) {
    const Keys& k = *keys;
    for (auto _ : state) {
      auto msg = format::CoseEncryptX25519(k.sealed_payload, k.aad, k.enc.public_key, {});
      if (!Check(state, msg)) break;
      benchmark::DoNotOptimize(msg);
    }
  });
  report.Add("cose_decrypt_x25519_4k", {aes, x25519}, [keys](benchmark::State& state) {
    const Keys& k = *keys;
    for (auto _ : state) {
      auto plain = format::CoseDecryptX25519(k.encrypted_message, k.aad, k.enc.private_key);
      if (!Check(state, plain)) break;
      benchmark::DoNotOptimize(plain);
    }
  });
  return Status::Ok();
}

// Ed25519 signatures of a short message: the one-shot crypto::Ed25519Sign (imports the
// seed each call) against the prepared crypto::Ed25519Signer that Central keeps per firm.
Status RegisterSigner(RatioReport& report, const OpensslBaseline& base) {
  const Baseline sign{"openssl ed25519 sign", "", base.ed25519_sign_per_s};
  struct Keys {
    Bytes message = crypto::RandomBytes(32);
    crypto::KeyPair pair;
    std::unique_ptr<crypto::Ed25519Signer> signer;
  };
  auto keys = std::make_shared<Keys>();
  LICET_ASSIGN_OR_RETURN(keys->pair, crypto::Ed25519Generate());
  LICET_ASSIGN_OR_RETURN(auto signer, crypto::Ed25519Signer::Create(keys->pair.private_key));
  keys->signer = std::make_unique<crypto::Ed25519Signer>(std::move(signer));
  report.Add("ed25519_sign_oneshot", {sign}, [keys](benchmark::State& state) {
    for (auto _ : state) {
      auto sig = crypto::Ed25519Sign(keys->pair.private_key, keys->message);
      if (!Check(state, sig)) break;
      benchmark::DoNotOptimize(sig);
    }
  });
  report.Add("ed25519_signer_sign", {sign}, [keys](benchmark::State& state) {
    for (auto _ : state) {
      auto sig = keys->signer->Sign(keys->message);
      if (!Check(state, sig)) break;
      benchmark::DoNotOptimize(sig);
    }
  });
  return Status::Ok();
}

void RegisterUpdate(RatioReport& report, CoreFixture& f, const OpensslBaseline& base) {
  const Baseline sign{"openssl ed25519 sign", "", base.ed25519_sign_per_s};
  const Baseline verify{"openssl ed25519 verify", "", base.ed25519_verify_per_s};
  const Baseline sign_verify{"openssl ed25519 sign+verify", "", base.Ed25519SignVerifyPerS()};

  auto create = [&f]() {
    std::vector<model::OperationBody> ops;
    ops.push_back(model::op::AddProduct{TypicalProductItem(f.store().clock().Now())});
    return engine::CreateUpdateFile(f.firm(), f.context(), std::move(ops), f.store().clock().Now());
  };
  // Vendor side: the firm item and one AddProduct, encrypted to the container and signed.
  report.Add("update_create", {sign}, [create](benchmark::State& state) {
    for (auto _ : state) {
      auto update = create();
      if (!Check(state, update)) break;
      benchmark::DoNotOptimize(update);
    }
  });
  // Customer side. Every iteration imports into the empty container again (restored while
  // the timer is stopped), so each one applies the two operations and writes the file.
  report.Add("update_import", {verify}, [&f](benchmark::State& state) {
    for (auto _ : state) {
      state.PauseTiming();
      if (!Check(state, f.Restore(f.empty_container()))) break;
      state.ResumeTiming();
      auto imported = engine::ImportUpdate(f.store(), f.update());
      if (!Check(state, imported)) break;
      if (imported->report.applied != 2) {
        state.SkipWithError("the update was not applied: the container was not restored");
        break;
      }
    }
  });
  report.Add("update_create_import", {sign_verify}, [&f, create](benchmark::State& state) {
    for (auto _ : state) {
      state.PauseTiming();
      if (!Check(state, f.Restore(f.empty_container()))) break;
      state.ResumeTiming();
      auto update = create();
      if (!Check(state, update)) break;
      if (!Check(state, engine::ImportUpdate(f.store(), *update))) break;
    }
  });
  // The write at the end of an import on its own: temp file, fsync, rename, fsync of the
  // directory. Same baseline as update_import, so its cost is the import's share.
  report.Add("container_save", {verify}, [&f](benchmark::State& state) {
    for (auto _ : state) {
      if (!Check(state, f.Restore(f.loaded_container()))) break;
    }
  });
}

void RegisterOpen(RatioReport& report, CoreFixture& f, const OpensslBaseline& base) {
  const size_t size = f.loaded_container().size();
  bool exact = false;
  double aes_rate = base.AesGcmOpsPerS(size, &exact);
  const Baseline aes{"openssl aes-256-gcm " + std::to_string(size) + " B" +
                         (exact ? "" : " (estimated from another size)"),
                     "", aes_rate};

  // licetd opens a container for every access: lock, read the file, read the device
  // properties, unbind the master key, AES-GCM decrypt, CBOR decode.
  report.Add("container_open", {aes}, [&f](benchmark::State& state) {
    if (!Check(state, f.Restore(f.loaded_container()))) return;
    for (auto _ : state) {
      auto c = f.store().Open(f.serial());
      if (!Check(state, c)) break;
      benchmark::DoNotOptimize(c);
    }
  });
  // Its parts: the device properties (/etc, /sys, /proc reads) ...
  report.Add("read_device_properties", {aes}, [](benchmark::State& state) {
    for (auto _ : state) {
      auto props = container::ReadDeviceProperties();
      if (!Check(state, props)) break;
      benchmark::DoNotOptimize(props);
    }
  });
  // ... and the decoding of bytes already in memory with properties already read.
  report.Add("container_decode", {aes}, [&f](benchmark::State& state) {
    for (auto _ : state) {
      auto c = engine::DecodeContainerFile(f.loaded_container(), f.device_properties());
      if (!Check(state, c)) break;
      benchmark::DoNotOptimize(c);
    }
  });
}

// Ratios rest on the baseline staying put: a second measurement at the end shows how much
// the machine's speed moved during the run (other load, frequency changes).
void PrintDrift(const OpensslBaseline& before, const OpensslBaseline& after) {
  auto pct = [](double a, double b) { return a > 0 ? 100.0 * (b - a) / a : 0.0; };
  std::printf("baseline drift over the run: ed25519 sign %+.1f%%, verify %+.1f%%, x25519 %+.1f%%",
              pct(before.ed25519_sign_per_s, after.ed25519_sign_per_s),
              pct(before.ed25519_verify_per_s, after.ed25519_verify_per_s),
              pct(before.x25519_derive_per_s, after.x25519_derive_per_s));
  for (const auto& [size, rate] : before.aes_gcm_bytes_per_s) {
    auto it = after.aes_gcm_bytes_per_s.find(size);
    if (it != after.aes_gcm_bytes_per_s.end()) {
      std::printf(", aes-256-gcm %zu B %+.1f%%", size, pct(rate, it->second));
    }
  }
  std::printf("\n");
}

int Main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  const bool smoke = SmokeMode();

  auto fixture = CoreFixture::Create();
  if (!fixture.ok()) {
    std::cerr << "core_bench: cannot set up the container store: " << fixture.status().ToString()
              << "\n";
    return 1;
  }
  CoreFixture& f = **fixture;
  std::cout << f.Describe();

  // Smoke runs only prove that everything works: the shortest openssl runs, and the
  // container's AES rate estimated from the 4 KiB one.
  BaselineOptions options = OptionsFromEnvironment({});
  options.seconds = smoke ? 1 : 2;
  options.aes_gcm_sizes = {kSealedPayloadSize};
  if (!smoke) options.aes_gcm_sizes.push_back(f.loaded_container().size());
  auto baseline = MeasureOpensslBaseline(options);
  if (!baseline.ok()) {
    std::cerr << "core_bench: cannot measure the baseline: " << baseline.status().ToString()
              << "\n";
    return 1;
  }
  std::cout << baseline->Describe() << std::flush;

  RatioReport report;
  if (Status st = RegisterCose(report, *baseline); !st.ok()) {
    std::cerr << "core_bench: cannot prepare the COSE cases: " << st.ToString() << "\n";
    return 1;
  }
  if (Status st = RegisterSigner(report, *baseline); !st.ok()) {
    std::cerr << "core_bench: cannot prepare the signer cases: " << st.ToString() << "\n";
    return 1;
  }
  RegisterUpdate(report, f, *baseline);
  RegisterOpen(report, f, *baseline);
  benchmark::RunSpecifiedBenchmarks(report.reporter());

  std::cout << "\nlicet-core vs openssl speed (ratio = ops/s / baseline ops/s; cost = 1/ratio)\n";
  report.PrintTable(std::cout);
  std::cout << std::flush;
  if (!smoke) {
    auto again = MeasureOpensslBaseline(options);
    if (again.ok()) PrintDrift(*baseline, *again);
  }
  benchmark::Shutdown();
  return report.AllSucceeded() ? 0 : 1;
}

}  // namespace
}  // namespace licet::bench

int main(int argc, char** argv) { return licet::bench::Main(argc, argv); }
