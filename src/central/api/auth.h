// API keys for the vendor API: "lck_<id>_<secret>", shown once at creation; Central keeps
// only SHA-256 of the whole key. Lookup is by that hash (an index lookup whose timing says
// nothing about the secret), and the stored hash is compared again in constant time.
#ifndef LICET_CENTRAL_API_AUTH_H_
#define LICET_CENTRAL_API_AUTH_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "central/store/records.h"
#include "central/store/store.h"
#include "common/status.h"

namespace licet::central::api {

// Every scope a key may hold; "*" stands for all of them.
const std::vector<std::string>& AllScopes();

// Parses "firms:write,orders:write" (or "*"): known scopes only, no duplicates.
Result<std::vector<std::string>> ParseScopes(std::string_view list);

struct NewApiKey {
  std::string key;  // the full secret key: print once, never store
  store::ApiKeyRecord record;
};

// Makes and stores a key. kInvalidArgument for bad scopes; kFirmNotFound for an unknown
// firm restriction.
Result<NewApiKey> CreateApiKey(store::Store& store, const std::vector<std::string>& scopes,
                               std::optional<uint32_t> firm_code, const std::string& description,
                               UnixTime now);

// The key record for an "Authorization: Bearer lck_..." header value. kNotFound when the
// key is unknown or revoked; kInvalidArgument when the header is malformed.
Result<store::ApiKeyRecord> Authenticate(store::Store& store, std::string_view authorization);

// True when the key holds `scope` (or "*").
bool HasScope(const store::ApiKeyRecord& key, std::string_view scope);

}  // namespace licet::central::api

#endif  // LICET_CENTRAL_API_AUTH_H_
