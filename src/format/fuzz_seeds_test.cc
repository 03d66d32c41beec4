// Writes the seed corpora of the format fuzz targets into fuzz/corpus/<target>/. Disabled in
// normal runs (it writes into the source tree); regenerate with
//   LICET_SOURCE_DIR=/path/to/licet format_test --gtest_also_run_disabled_tests
//       --gtest_filter='*FuzzSeeds*'
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "format/cbor.h"
#include "format/cose.h"
#include "format/envelope.h"
#include "format/fuzz_keys.h"
#include "format/payload.h"

namespace licet::format {
namespace {

namespace fs = std::filesystem;

void WriteSeeds(const std::string& target, const std::vector<Bytes>& seeds) {
  const char* source = std::getenv("LICET_SOURCE_DIR");
  ASSERT_NE(source, nullptr) << "set LICET_SOURCE_DIR";
  const fs::path dir = fs::path(source) / "fuzz" / "corpus" / target;
  fs::create_directories(dir);
  for (size_t i = 0; i < seeds.size(); ++i) {
    std::ofstream out(dir / ("seed-" + std::to_string(i)), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(seeds[i].data()),
              static_cast<std::streamsize>(seeds[i].size()));
    ASSERT_TRUE(out.good());
  }
}

Bytes Hex(const char* hex) { return *HexDecode(hex); }

Bytes SamplePayload() {
  nlohmann::json j = {{"firm_code", 6000010u},
                      {"product_code", 13u},
                      {"text", "Licet"},
                      {"public_key", Binary(Bytes(32, 7))},
                      {"items", nlohmann::json::array({nlohmann::json{{"units", 100}}})}};
  return EncodePayload(j);
}

Bytes Truncate(Bytes b, size_t drop) {
  b.resize(b.size() - drop);
  return b;
}

TEST(FormatFuzzSeeds, DISABLED_Write) {
  const Bytes aad = fuzz::ExternalAad();
  const Bytes payload = SamplePayload();
  const Bytes signed_message = *CoseSign1Sign(payload, aad, fuzz::Ed25519PrivateKey());
  const Bytes encrypted = *CoseEncryptX25519(payload, aad, fuzz::X25519PublicKey(), ToBytes("kid"));

  WriteSeeds(
      "cbor_decode_fuzz",
      {Hex("00"), Hex("3b7fffffffffffffff"), Hex("a26161016162820203"),
       Hex("c074323031332d30332d32315432303a30343a30305a"), Hex("64f0908591"),
       Hex("8301820203820405"), payload, signed_message, Hex("a201020103") /* duplicate key */,
       Hex("1817") /* non-shortest */, Hex("5f42010243030405ff") /* indefinite */,
       Hex("fb3ff199999999999a") /* float */, Hex("9bffffffffffffffff00") /* huge length */});
  Bytes bad_alg = signed_message;
  bad_alg[4] = 0x26;  // protected {1: -7}
  WriteSeeds("cose_sign1_fuzz",
             {signed_message, *CoseSign1Sign({}, aad, fuzz::Ed25519PrivateKey()), bad_alg,
              Truncate(signed_message, 10),
              Hex("D28445A201270300A10442313154546869732069732074686520636F6E74656E742E5840"
                  "7142FD2FF96D56DB85BEE905A76BA1D0B7321A95C8C4D3607C5781932B7AFB8711497DFA75"
                  "1BF40B58B3BCC32300B1487F3DB34085EEF013BF08F4A44D6FEF0D")});
  WriteSeeds(
      "cose_encrypt_fuzz",
      {encrypted, *CoseEncryptX25519({}, aad, fuzz::X25519PublicKey(), {}), Truncate(encrypted, 20),
       Hex("D8608443A10101A1054C9862E02EC874A0DF9FB123385824D2B07042F7BA47C61646CCA83AB9"
           "7FD23AF21F0D2AC75DCB47A9FC293015D8F098AE9C1B818344A1013818A220A30101200421582072"
           "FC171C21BF5C682C64D2EF3A71AC877B40013D3754F63D4C3C3A965F1BA77604485832353531392D"
           "3140")});
  WriteSeeds(
      "envelope_fuzz",
      {WrapEnvelope(FileKind::kUpdate, signed_message), WrapEnvelope(FileKind::kUpdate, encrypted),
       WrapEnvelope(FileKind::kContext, payload), Hex("da4c430202a0"), Hex("da4c430901a0"),
       Truncate(WrapEnvelope(FileKind::kReceipt, payload), 3), Hex("00")});
}

}  // namespace
}  // namespace licet::format
