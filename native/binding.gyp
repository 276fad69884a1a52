# Build of the glassbox native kernel addon (N-API, C++17, OpenBLAS): `npm run build:native` writes
# native/build/Release/glassbox_native.node. Built on the machine that runs it, so -march=native is safe;
# -fopenmp-simd only enables `omp simd` reduction hints (no OpenMP runtime); 512-bit vectors where the CPU
# has them (measured ~25% faster exp/tanh-heavy kernels on AVX-512 than the default 256-bit preference).
{
  "targets": [
    {
      "target_name": "glassbox_native",
      "sources": ["src/addon.cc", "src/args.cc", "src/memory.cc", "src/pool.cc", "src/kernels_elementwise.cc",
                  "src/kernels_norm.cc", "src/kernels_attention.cc", "src/kernels_misc.cc",
                  "src/kernels_fused.cc"],
      "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread", "/usr/include/openblas"],
      "defines": ["NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++14", "-O2", "-O0"],
      "cflags": ["-O3", "-march=native", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-march=native", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd", "-mprefer-vector-width=512", "-Wall", "-Wno-unused-parameter"],
      "libraries": ["-lopenblas", "-lpthread"]
    }
  ]
}
