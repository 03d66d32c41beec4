// Fuzzes what liblicet reads from licetd: a frame body through protocol::DecodeMessage and
// then every response decoder of the client. None may crash, throw or over-read.
#include <cstddef>
#include <cstdint>

#include "client/request_codec.h"
#include "protocol/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace licet;
  auto message = protocol::DecodeMessage(ByteSpan(data, size));
  if (!message.ok()) return 0;
  const nlohmann::json& m = *message;
  protocol::ResponseStatus(m).IgnoreError();

  licet_item_info info = LICET_ITEM_INFO_INIT;
  client::DecodeItemInfo(m, &info).IgnoreError();
  info.size = client::kMinItemInfoSize;
  client::DecodeItemInfo(m, &info).IgnoreError();

  uint8_t buf[64];
  for (int op : {LICET_CRYPT_ENCRYPT, LICET_CRYPT_DECRYPT, LICET_CRYPT_DIRECT}) {
    for (size_t len : {size_t{0}, size_t{16}, sizeof(buf)}) {
      licet_crypt_params params = LICET_CRYPT_PARAMS_INIT;
      client::DecodeCrypt(m, op, &params, buf, len).IgnoreError();
    }
    licet_crypt_params params = LICET_CRYPT_PARAMS_INIT;
    client::DecodeCryptTag(m, op, &params).IgnoreError();  // a shared-memory crypt's answer
  }
  client::DecodeList(m).status().IgnoreError();
  client::DecodeHandle(m).status().IgnoreError();
  client::DecodeRemaining(m).status().IgnoreError();
  return 0;
}
