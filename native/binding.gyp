{
  "targets": [
    {
      "target_name": "trainyard_native",
      "sources": ["src/addon.cc", "src/mlp.cc", "src/update.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-O3", "-fno-math-errno", "-std=c++17"],
      "libraries": ["-lopenblas"]
    }
  ]
}
