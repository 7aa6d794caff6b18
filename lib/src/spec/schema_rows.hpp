#pragma once
// Every key a spec documents, as the JSON Schema (schema.cpp) and the docs show it; the tables
// are in schema_rows.cpp. Internal to lib/src/spec.

#include <string>
#include <string_view>
#include <vector>

namespace imgspec::spec::detail {

// A documented key: "{base_forms}" in a description stands for the list of base forms.
struct Row {
    std::string path, schema, description, examples;
};

// Every documented key: the top-level keys, each base form's and layer kind's rows in table
// order, the shared options, the secrets' keys.
const std::vector<Row>& schema_rows();

// The row of `path` ("layers[].index_url"); throws std::logic_error when there is none.
const Row& schema_row(std::string_view path);

} // namespace imgspec::spec::detail
