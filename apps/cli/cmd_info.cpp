// `tessera info -m DIR`: model dimensions, stored dtype, parameter count, load time, CPU features.
#include <cstdio>

#include "commands.h"
#include "kernels/f32_ops.h"
#include "kernels/int8_ops.h"
#include "kernels/qs16_attention.h"
#include "tessera/cpu_features.h"
#include "tessera/model.h"

namespace tessera::cli {

void add_info_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Describe a model folder and this CPU");
  auto dir = std::make_shared<std::string>();
  cmd->add_option("-m,--model", *dir, "Model folder (CTranslate2 or Hugging Face safetensors)");
  cmd->callback([dir] {
    const CpuFeatures& cpu = cpu_features();
    std::printf("cpu: %s (%d logical, %d physical cores)\n", cpu.brand.c_str(), cpu.logical_cores,
                cpu.physical_cores);
    std::printf("cpu features: %s\n", cpu.summary().c_str());
    std::printf("fp32 kernels: %s\n", kernels::f32_kernel_summary().c_str());
    std::printf("int8 kernels: %s, %s\n", kernels::qs8_kernel_summary().c_str(),
                kernels::qs16_attention_summary().c_str());
    if (dir->empty()) return;
    auto model = Model::load(*dir);
    const ModelConfig& c = model->config;
    std::printf("model: %s (%s, %s)\n", model->dir.c_str(), c.family_name().c_str(),
                model->format == ModelFormat::CTranslate2 ? "CTranslate2" : "safetensors");
    std::printf("stored dtype: %s\n", std::string(dtype_name(model->stored_dtype)).c_str());
    std::printf("parameters: %lld\n", static_cast<long long>(model->weights.parameter_count()));
    std::printf("mels: %d  vocab: %d  multilingual: %s  languages: %d\n", c.n_mels, c.n_vocab,
                c.is_multilingual() ? "yes" : "no", c.is_multilingual() ? c.num_languages() : 1);
    std::printf("encoder: d=%d layers=%d heads=%d ctx=%d\n", c.n_audio_state, c.n_audio_layer,
                c.n_audio_head, c.n_audio_ctx);
    std::printf("decoder: d=%d layers=%d heads=%d ctx=%d\n", c.n_text_state, c.n_text_layer,
                c.n_text_head, c.n_text_ctx);
    std::printf("load time: %.1f ms\n", model->load_ms);
  });
}

}  // namespace tessera::cli
