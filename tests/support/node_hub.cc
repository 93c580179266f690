#include "support/node_hub.h"

#include "datanode/render.h"

namespace oncoatlas::testing {

nlohmann::json NodeHubObjects(const std::string& node) {
  api::DataNode datanode;
  datanode.metadata = {{"name", node}};
  nlohmann::json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", nlohmann::json::array()}};
  for (nlohmann::json& object : datanode::RenderHubObjects(datanode, "")) {
    object["metadata"].erase("ownerReferences");
    list["items"].push_back(std::move(object));
  }
  return list;
}

}  // namespace oncoatlas::testing
