import Foundation
import Kernels
import Testing
import TunebenchCore

@testable import Workloads

func write(_ text: String, name: String = "config.json") throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tb-wl-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let path = folder.appendingPathComponent(name).path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

@Suite("Hugging Face config.json import")
struct HuggingFaceConfigTests {
    static let llama3 = """
    {"model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336, "num_attention_heads": 32,
     "num_key_value_heads": 8, "num_hidden_layers": 32, "vocab_size": 128256, "hidden_act": "silu"}
    """

    @Test("Llama-3-8B: grouped-query k/v, gated MLP, LM head; 32 layers collapse to 7 unique GEMMs per token count")
    func llama() throws {
        let workload = try HuggingFaceConfig.load(path: try write(Self.llama3), tokens: [1, 32])
        let unique = workload.uniqueLayers
        #expect(unique.count == 10) // per token count: q=o (4096x4096), k=v (1024x4096), gate=up, down, lm_head
        let decode = unique.filter { $0.layer.m == 1 }.map { ($0.layer.description, $0.multiplicity) }
        #expect(decode.map(\.0) == ["gemm m=1 n=4096 k=4096", "gemm m=1 n=1024 k=4096", "gemm m=1 n=14336 k=4096",
                                    "gemm m=1 n=4096 k=14336", "gemm m=1 n=128256 k=4096"])
        #expect(decode.map(\.1) == [64, 64, 64, 32, 1])
        // One decode token: 2 x (32 x (2·4096² + 2·4096·1024 + 3·4096·14336) + 4096·128256) FLOPs.
        let perToken = 2.0 * (32 * (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336) + 4096 * 128256)
        let decodeFLOPs = workload.instances.filter { $0.layer.m == 1 }.reduce(0.0) { $0 + $1.layer.flops * Double($1.count) }
        #expect(decodeFLOPs == perToken)
        #expect(workload.notes.contains { $0.contains("weights are random") })
        #expect(workload.unsupported.contains { $0.contains("silu") })
    }

    @Test("Qwen2 has q/k/v biases; Mistral none; GPT-2 fuses bias+GELU; BERT has no LM head")
    func families() throws {
        let qwen = try HuggingFaceConfig.load(path: try write("""
            {"model_type": "qwen2", "hidden_size": 896, "intermediate_size": 4864, "num_attention_heads": 14,
             "num_key_value_heads": 2, "num_hidden_layers": 24, "vocab_size": 151936}
            """), tokens: [1])
        #expect(qwen.instances.map(\.layer.description).prefix(4) == ["gemm m=1 n=896 k=896 bias", "gemm m=1 n=128 k=896 bias",
                                                                      "gemm m=1 n=128 k=896 bias", "gemm m=1 n=896 k=896"])
        let gpt2 = try HuggingFaceConfig.load(path: try write("""
            {"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12, "n_inner": null, "vocab_size": 50257,
             "activation_function": "gelu_new"}
            """), tokens: [8])
        #expect(gpt2.instances.map(\.layer.description) == ["gemm m=8 n=2304 k=768 bias", "gemm m=8 n=768 k=768 bias",
                                                            "gemm m=8 n=3072 k=768 bias gelu", "gemm m=8 n=768 k=3072 bias",
                                                            "gemm m=8 n=50257 k=768"])
        let bert = try HuggingFaceConfig.load(path: try write("""
            {"model_type": "bert", "hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
             "num_attention_heads": 12, "vocab_size": 30522, "hidden_act": "gelu"}
            """), tokens: [128])
        // BERT's "gelu" is the exact erf form: fused as gelu_erf.
        #expect(bert.uniqueLayers.map(\.layer.description) == ["gemm m=128 n=768 k=768 bias", "gemm m=128 n=3072 k=768 bias gelu_erf",
                                                              "gemm m=128 n=768 k=3072 bias"])
        #expect(bert.uniqueLayers.map(\.multiplicity) == [48, 12, 12])
        #expect(!bert.unsupported.contains { $0.contains("activation") })
        let silu = try HuggingFaceConfig.load(path: try write("""
            {"model_type": "bert", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 1,
             "num_attention_heads": 1, "vocab_size": 10, "hidden_act": "silu"}
            """), tokens: [4])
        #expect(silu.instances.map(\.layer.epilogue.activation).allSatisfy { $0 == .none })
        #expect(silu.unsupported.contains { $0.contains("intermediate activation silu") })
    }

    @Test("Qwen3 with an explicit head_dim; Phi-3's fused qkv and gate_up; StarCoder2's plain MLP with biases and a fused GELU")
    func moreDecoders() throws {
        // Qwen3-0.6B: 16 heads of 128 on a 1024-wide model (not 1024/16).
        let qwen3 = try HuggingFaceConfig.load(path: try write("""
            {"model_type": "qwen3", "hidden_size": 1024, "intermediate_size": 3072, "num_attention_heads": 16, "num_key_value_heads": 8,
             "head_dim": 128, "num_hidden_layers": 28, "vocab_size": 151936, "attention_bias": false, "hidden_act": "silu"}
            """), tokens: [1])
        #expect(qwen3.instances.map(\.layer.description) == [
            "gemm m=1 n=2048 k=1024", "gemm m=1 n=1024 k=1024", "gemm m=1 n=1024 k=1024", "gemm m=1 n=1024 k=2048",
            "gemm m=1 n=3072 k=1024", "gemm m=1 n=3072 k=1024", "gemm m=1 n=1024 k=3072", "gemm m=1 n=151936 k=1024"])
        // Phi-3-mini: qkv_proj 3072 -> (32 + 2·32)·96; gate_up_proj 3072 -> 2·8192.
        let phi3 = try HuggingFaceConfig.load(path: try write("""
            {"model_type": "phi3", "hidden_size": 3072, "intermediate_size": 8192, "num_attention_heads": 32, "num_key_value_heads": 32,
             "num_hidden_layers": 32, "vocab_size": 32064, "hidden_act": "silu"}
            """), tokens: [4])
        #expect(phi3.instances.map(\.layer.description) == ["gemm m=4 n=9216 k=3072", "gemm m=4 n=3072 k=3072", "gemm m=4 n=16384 k=3072",
                                                            "gemm m=4 n=3072 k=8192", "gemm m=4 n=32064 k=3072"])
        #expect(phi3.instances.map(\.name).contains("layers.0-31.self_attn.qkv_proj (tokens=4)"))
        // StarCoder2-3B: biases everywhere (use_bias), c_fc with its tanh GELU fused, c_proj.
        let starcoder = try HuggingFaceConfig.load(path: try write("""
            {"model_type": "starcoder2", "hidden_size": 3072, "intermediate_size": 12288, "num_attention_heads": 24, "num_key_value_heads": 2,
             "num_hidden_layers": 30, "vocab_size": 49152, "hidden_act": "gelu_pytorch_tanh", "use_bias": true}
            """), tokens: [1])
        #expect(starcoder.instances.map(\.layer.description) == [
            "gemm m=1 n=3072 k=3072 bias", "gemm m=1 n=256 k=3072 bias", "gemm m=1 n=256 k=3072 bias", "gemm m=1 n=3072 k=3072 bias",
            "gemm m=1 n=12288 k=3072 bias gelu", "gemm m=1 n=3072 k=12288 bias", "gemm m=1 n=49152 k=3072"])
        #expect(!starcoder.unsupported.contains { $0.contains("mlp activation") })
        // GPT-NeoX (Pythia-160m): fused qkv with bias, the MLP's exact GELU fused, the untied head.
        let neox = try HuggingFaceConfig.load(path: try write("""
            {"model_type": "gpt_neox", "hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12, "num_hidden_layers": 12,
             "vocab_size": 50304, "hidden_act": "gelu"}
            """), tokens: [2])
        #expect(neox.instances.map(\.layer.description) == ["gemm m=2 n=2304 k=768 bias", "gemm m=2 n=768 k=768 bias",
                                                            "gemm m=2 n=3072 k=768 bias gelu_erf", "gemm m=2 n=768 k=3072 bias", "gemm m=2 n=50304 k=768"])
        let roberta = try HuggingFaceConfig.load(path: try write("""
            {"model_type": "xlm-roberta", "hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
             "num_attention_heads": 12, "vocab_size": 250002, "hidden_act": "gelu"}
            """), tokens: [16])
        #expect(roberta.uniqueLayers.map(\.layer.description) == ["gemm m=16 n=768 k=768 bias", "gemm m=16 n=3072 k=768 bias gelu_erf",
                                                                 "gemm m=16 n=768 k=3072 bias"])
    }

    @Test("mixtures of experts: the router, each active expert's GEMMs at its share of the rows, shared experts, dense layers apart")
    func experts() throws {
        // Mixtral-8x7B: 2 of 8 experts per token. One token: 2 experts of one row; 32 tokens: 64
        // pairs over all 8 experts, 8 rows each.
        let mixtral = try HuggingFaceConfig.load(path: try write("""
            {"model_type": "mixtral", "hidden_size": 4096, "intermediate_size": 14336, "num_attention_heads": 32, "num_key_value_heads": 8,
             "num_hidden_layers": 32, "vocab_size": 32000, "num_local_experts": 8, "num_experts_per_tok": 2, "hidden_act": "silu"}
            """), tokens: [1, 32])
        let layers: [String] = mixtral.instances.map { "\($0.layer) x\($0.count)" }
        #expect(layers.contains("gemm m=1 n=8 k=4096 x32"), "the router")
        // Each expert's gate and up are one GEMM (gate_up_proj, as transformers stores them).
        #expect(layers.contains("gemm m=1 n=28672 k=4096 x64") && layers.contains("gemm m=1 n=4096 k=14336 x64"))
        #expect(layers.contains("gemm m=8 n=28672 k=4096 x256") && layers.contains("gemm m=8 n=4096 k=14336 x256"))
        #expect(mixtral.notes.contains { $0.contains("routed evenly") })
        // Per decode token: each layer runs 2 experts' three GEMMs, as the dense model runs one MLP.
        let decode = mixtral.instances.filter { $0.layer.m == 1 && $0.name.contains("experts") }
        let decodeFLOPs: Double = decode.reduce(0.0) { $0 + $1.layer.flops * Double($1.count) }
        let expected: Double = 2.0 * 32 * 2 * 3 * 4096 * 14336
        #expect(decodeFLOPs == expected)
        // Qwen1.5-MoE-A2.7B with two dense layers: 4 of 60 experts, a shared expert and its gate.
        let qwen = try HuggingFaceConfig.load(path: try write("""
            {"model_type": "qwen2_moe", "hidden_size": 2048, "intermediate_size": 5632, "moe_intermediate_size": 1408,
             "shared_expert_intermediate_size": 5632, "num_experts": 60, "num_experts_per_tok": 4, "num_attention_heads": 16,
             "num_key_value_heads": 16, "num_hidden_layers": 24, "vocab_size": 151936, "decoder_sparse_step": 1, "mlp_only_layers": [0, 1]}
            """), tokens: [1])
        let counts: [String: String] = Dictionary(qwen.instances.map { ($0.name, "\($0.layer) x\($0.count)") }, uniquingKeysWith: { a, _ in a })
        #expect(counts["layers (2 dense).mlp.gate_proj (tokens=1)"] == "gemm m=1 n=5632 k=2048 x2")
        #expect(counts["layers (22 with experts).mlp.gate (tokens=1)"] == "gemm m=1 n=60 k=2048 x22")
        #expect(counts["layers (22 with experts).mlp.experts (4 of 60, 1 row each).down_proj (tokens=1)"] == "gemm m=1 n=2048 k=1408 x88")
        #expect(counts["layers (22 with experts).mlp.shared_expert.up_proj (tokens=1)"] == "gemm m=1 n=5632 k=2048 x22")
        #expect(counts["layers (22 with experts).mlp.shared_expert_gate (tokens=1)"] == "gemm m=1 n=1 k=2048 x22")
        #expect(counts["layers.0-23.self_attn.q_proj (tokens=1)"] == "gemm m=1 n=2048 k=2048 bias x24")
        #expect(counts["layers.0-23.self_attn.o_proj (tokens=1)"] == "gemm m=1 n=2048 k=2048 x24")
        // DeepSeek-V3: latent attention (q through rank 1536, k/v through 512 plus the 64-wide RoPE
        // key), 3 dense layers, then 256 routed experts (8 per token) and one shared expert.
        let deepseek = try HuggingFaceConfig.load(path: try write("""
            {"model_type": "deepseek_v3", "hidden_size": 7168, "intermediate_size": 18432, "moe_intermediate_size": 2048,
             "num_hidden_layers": 61, "num_attention_heads": 128, "num_key_value_heads": 128, "n_shared_experts": 1,
             "n_routed_experts": 256, "num_experts_per_tok": 8, "first_k_dense_replace": 3, "moe_layer_freq": 1, "q_lora_rank": 1536,
             "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128, "vocab_size": 129280}
            """), tokens: [1])
        let v3: [String: String] = Dictionary(deepseek.instances.map { ($0.name, "\($0.layer) x\($0.count)") }, uniquingKeysWith: { a, _ in a })
        #expect(v3["layers.0-60.self_attn.q_a_proj (tokens=1)"] == "gemm m=1 n=1536 k=7168 x61")
        #expect(v3["layers.0-60.self_attn.q_b_proj (tokens=1)"] == "gemm m=1 n=24576 k=1536 x61")
        #expect(v3["layers.0-60.self_attn.kv_a_proj_with_mqa (tokens=1)"] == "gemm m=1 n=576 k=7168 x61")
        #expect(v3["layers.0-60.self_attn.kv_b_proj (tokens=1)"] == "gemm m=1 n=32768 k=512 x61")
        #expect(v3["layers.0-60.self_attn.o_proj (tokens=1)"] == "gemm m=1 n=7168 k=16384 x61")
        #expect(v3["layers (3 dense).mlp.up_proj (tokens=1)"] == "gemm m=1 n=18432 k=7168 x3")
        #expect(v3["layers (58 with experts).mlp.gate (tokens=1)"] == "gemm m=1 n=256 k=7168 x58")
        #expect(v3["layers (58 with experts).mlp.experts (8 of 256, 1 row each).gate_up_proj (tokens=1)"] == "gemm m=1 n=4096 k=7168 x464")
        #expect(v3["layers (58 with experts).mlp.shared_expert.down_proj (tokens=1)"] == "gemm m=1 n=7168 k=2048 x58")
        #expect(!v3.keys.contains { $0.contains("shared_expert_gate") })
        // Without q_lora_rank (DeepSeek-V2-Lite) the queries have one projection.
        let lite = try HuggingFaceConfig.load(path: try write("""
            {"model_type": "deepseek_v2", "hidden_size": 2048, "intermediate_size": 10944, "moe_intermediate_size": 1408,
             "num_hidden_layers": 27, "num_attention_heads": 16, "n_shared_experts": 2, "n_routed_experts": 64, "num_experts_per_tok": 6,
             "first_k_dense_replace": 1, "q_lora_rank": null, "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
             "v_head_dim": 128, "vocab_size": 102400}
            """), tokens: [1])
        #expect(lite.instances.first.map { "\($0.name) \($0.layer)" } == "layers.0-26.self_attn.q_proj (tokens=1) gemm m=1 n=3072 k=2048")
        #expect(lite.instances.contains { $0.name.hasPrefix("layers (26 with experts).mlp.shared_expert.up_proj") && $0.layer.n == 2816 })
        // Llama 4 Maverick-style: a vision-language config, every second layer with 128 experts
        // (1 per token) and a shared expert, the others a dense MLP of intermediate_size_mlp.
        let llama4 = try HuggingFaceConfig.load(path: try write("""
            {"model_type": "llama4", "text_config": {"model_type": "llama4_text", "hidden_size": 5120, "intermediate_size": 8192,
             "intermediate_size_mlp": 16384, "num_local_experts": 128, "num_experts_per_tok": 1, "interleave_moe_layer_step": 2,
             "num_hidden_layers": 48, "num_attention_heads": 40, "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 202048},
             "vision_config": {"model_type": "llama4_vision_model"}}
            """), tokens: [1])
        let l4: [String: String] = Dictionary(llama4.instances.map { ($0.name, "\($0.layer) x\($0.count)") }, uniquingKeysWith: { a, _ in a })
        #expect(l4["layers (24 dense).mlp.gate_proj (tokens=1)"] == "gemm m=1 n=16384 k=5120 x24")
        #expect(l4["layers (24 with experts).mlp.experts (1 of 128, 1 row each).gate_up_proj (tokens=1)"] == "gemm m=1 n=16384 k=5120 x24")
        #expect(l4["layers (24 with experts).mlp.shared_expert.gate_proj (tokens=1)"] == "gemm m=1 n=8192 k=5120 x24")
        #expect(l4["layers.0-47.self_attn.q_proj (tokens=1)"] == "gemm m=1 n=5120 k=5120 x48")
        let tooMany = try write(#"{"model_type": "mixtral", "hidden_size": 64, "intermediate_size": 64, "num_attention_heads": 1, "num_hidden_layers": 1, "vocab_size": 1, "num_local_experts": 2, "num_experts_per_tok": 3}"#)
        #expect((#expect(throws: FileError.self) { try HuggingFaceConfig.load(path: tooMany, tokens: [1]) })?.message.contains("num_experts_per_tok") == true)
        // GPT-OSS-20B: 4 of 32 experts in every layer; attention, router and experts with biases.
        let oss = try HuggingFaceConfig.load(path: try write("""
            {"model_type": "gpt_oss", "attention_bias": true, "experts_per_token": 4, "num_experts_per_tok": 4, "head_dim": 64,
             "hidden_size": 2880, "intermediate_size": 2880, "num_attention_heads": 64, "num_hidden_layers": 24,
             "num_key_value_heads": 8, "num_local_experts": 32, "vocab_size": 201088, "tie_word_embeddings": false}
            """), tokens: [1])
        #expect(oss.instances.map { "\($0.layer) x\($0.count)" } == [
            "gemm m=1 n=4096 k=2880 bias x24", "gemm m=1 n=512 k=2880 bias x24", "gemm m=1 n=512 k=2880 bias x24",
            "gemm m=1 n=2880 k=4096 bias x24", "gemm m=1 n=32 k=2880 bias x24", "gemm m=1 n=5760 k=2880 bias x96",
            "gemm m=1 n=2880 k=2880 bias x96", "gemm m=1 n=201088 k=2880 x1"])
        // Absurd counts are refused, not multiplied into an overflow.
        let absurd = try write(#"{"model_type": "mixtral", "hidden_size": 64, "intermediate_size": 64, "num_attention_heads": 1, "num_hidden_layers": 1, "vocab_size": 1, "num_local_experts": 100000000000, "num_experts_per_tok": 99999999999}"#)
        #expect((#expect(throws: FileError.self) { try HuggingFaceConfig.load(path: absurd, tokens: [4_000_000_000_000]) })?.message.contains("beyond any model's") == true)
        let huge = try HuggingFaceConfig.load(path: try write(#"{"model_type": "mixtral", "hidden_size": 64, "intermediate_size": 64, "num_attention_heads": 1, "num_hidden_layers": 1, "vocab_size": 1, "num_local_experts": 8, "num_experts_per_tok": 8}"#), tokens: [Int.max / 2])
        #expect(huge.instances.contains { $0.name.contains("experts (8 of 8") })
    }

    @Test("a vision-language config: its text_config's language model, Gemma 3's omitted fields at their defaults")
    func textConfig() throws {
        // google/gemma-3-4b-it writes only what differs from Gemma3TextConfig's defaults.
        let gemma3 = try HuggingFaceConfig.load(path: try write("""
            {"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
             "text_config": {"hidden_size": 2560, "intermediate_size": 10240, "model_type": "gemma3_text", "num_hidden_layers": 34,
                             "rope_scaling": {"factor": 8.0, "rope_type": "linear"}, "sliding_window": 1024},
             "vision_config": {"hidden_size": 1152, "model_type": "siglip_vision_model", "num_hidden_layers": 27}}
            """), tokens: [1])
        // 8 heads of 256 (q: 2560 -> 2048), 4 kv heads, vocabulary 262208: Gemma3TextConfig's defaults.
        #expect(gemma3.instances.map(\.layer.description) == [
            "gemm m=1 n=2048 k=2560", "gemm m=1 n=1024 k=2560", "gemm m=1 n=1024 k=2560", "gemm m=1 n=2560 k=2048",
            "gemm m=1 n=10240 k=2560", "gemm m=1 n=10240 k=2560", "gemm m=1 n=2560 k=10240", "gemm m=1 n=262208 k=2560"])
        #expect(gemma3.name.hasPrefix("gemma3 (text model: gemma3_text hidden=2560 layers=34)"))
        #expect(gemma3.unsupported.contains { $0.contains("vision encoder") })
        #expect(gemma3.notes.contains { $0.contains("defaults") && $0.contains("num_attention_heads=8") && $0.contains("vocab_size=262208") })
        // Qwen2-VL keeps its Qwen2 decoder's fields at the top level.
        let qwenVL = try HuggingFaceConfig.load(path: try write("""
            {"model_type": "qwen2_vl", "hidden_size": 1536, "intermediate_size": 8960, "num_attention_heads": 12, "num_key_value_heads": 2,
             "num_hidden_layers": 28, "vocab_size": 151936, "vision_config": {"depth": 32, "embed_dim": 1280}}
            """), tokens: [1])
        #expect(qwenVL.instances.first?.layer.description == "gemm m=1 n=1536 k=1536 bias")
        #expect(qwenVL.name.hasPrefix("qwen2_vl (text model: qwen2 hidden=1536") && qwenVL.unsupported.contains { $0.contains("vision encoder") })
        // A LLaVA-style wrapper around Mistral names a missing field where it is.
        let llava = try write(#"{"model_type": "llava", "text_config": {"model_type": "mistral", "hidden_size": 4096}}"#)
        #expect((#expect(throws: FileError.self) { try HuggingFaceConfig.load(path: llava, tokens: [1]) })?.message
                == "missing field \"text_config.num_attention_heads\" (model_type mistral)")
        let unknownText = try write(#"{"model_type": "idefics", "text_config": {"model_type": "mamba"}}"#)
        #expect((#expect(throws: FileError.self) { try HuggingFaceConfig.load(path: unknownText, tokens: [1]) })?.message
                    .hasPrefix("the text_config of model_type \"idefics\" is model_type \"mamba\", which is not supported") == true)
    }

    @Test("broken configs name the file and the field")
    func errors() throws {
        let missing = try write(#"{"model_type": "llama", "hidden_size": 4096}"#)
        let error = #expect(throws: FileError.self) { try HuggingFaceConfig.load(path: missing, tokens: [1]) }
        #expect(error?.description == "\(missing): missing field \"num_attention_heads\" (model_type llama)")
        let wrongType = try write(#"{"model_type": "mistral", "hidden_size": "4096", "intermediate_size": 1, "num_attention_heads": 1, "num_hidden_layers": 1, "vocab_size": 1}"#)
        let typeError = #expect(throws: FileError.self) { try HuggingFaceConfig.load(path: wrongType, tokens: [1]) }
        #expect(typeError?.message == "field \"hidden_size\" must be a positive integer, got \"4096\"")
        let boolean = try write(#"{"model_type": "gpt2", "n_embd": true, "n_layer": 1, "vocab_size": 1}"#)
        #expect((#expect(throws: FileError.self) { try HuggingFaceConfig.load(path: boolean, tokens: [1]) })?.message.contains("got true") == true)
        let gqa = try write(#"{"model_type": "llama", "hidden_size": 4096, "intermediate_size": 1, "num_attention_heads": 32, "num_key_value_heads": 5, "num_hidden_layers": 1, "vocab_size": 1}"#)
        #expect((#expect(throws: FileError.self) { try HuggingFaceConfig.load(path: gqa, tokens: [1]) })?.message.contains("num_key_value_heads") == true)
        let unknown = try write(#"{"model_type": "mamba"}"#)
        #expect((#expect(throws: FileError.self) { try HuggingFaceConfig.load(path: unknown, tokens: [1]) })?.message.contains("not supported") == true)
        let garbage = try write("{not json")
        let message = (#expect(throws: FileError.self) { try HuggingFaceConfig.load(path: garbage, tokens: [1]) })?.message ?? ""
        #expect(message.hasPrefix("is not valid JSON: ") && message.contains("at line 1, column 2"), "\(message)")
        // Where it stops, on a later line; nesting too deep for the parser is said, not a crash.
        let broken = try write("{\n  \"model_type\": \"gpt2\",\n  \"n_embd\": x\n}")
        let position = (#expect(throws: FileError.self) { try HuggingFaceConfig.load(path: broken, tokens: [1]) })?.message ?? ""
        #expect(position.contains("at line 3, column 13"), "\(position)")
        let deep = try write(String(repeating: "[", count: 100_000))
        let nesting = (#expect(throws: FileError.self) { try HuggingFaceConfig.load(path: deep, tokens: [1]) })?.message ?? ""
        #expect(nesting == "nests arrays and objects 100000 deep; at most 512 levels are read", "\(nesting)")
        #expect(throws: FileError.self) { try HuggingFaceConfig.load(path: "/no/such/config.json", tokens: [1]) }
    }
}

@Suite("layer lists")
struct LayerListTests {
    @Test("gemm and conv2d entries with epilogues and counts; other ops listed as unsupported")
    func load() throws {
        let path = try write("""
            {"name": "tiny", "layers": [
              {"name": "fc1", "op": "gemm", "m": 32, "n": 512, "k": 256, "epilogue": "bias+relu", "count": 3},
              {"op": "conv2d", "shape": "1,64,56,56,64,3,3,1,1", "epilogue": "bias+relu"},
              {"name": "fc1-again", "op": "gemm", "m": 32, "n": 512, "k": 256, "epilogue": "bias+relu"},
              {"name": "pool", "op": "maxpool"}
            ]}
            """, name: "layers.json")
        let workload = try LayerList.load(path: path)
        #expect(workload.name == "tiny")
        #expect(workload.uniqueLayers.map(\.layer.description) == ["gemm m=32 n=512 k=256 bias relu",
                                                                  "conv2d n=1 c=64 h=56 w=56 k=64 r=3 s=3 stride=1 pad=1 dilation=1 bias relu"])
        #expect(workload.uniqueLayers.map(\.multiplicity) == [4, 1])
        #expect(workload.uniqueLayers[0].names == ["fc1", "fc1-again"])
        #expect(workload.uniqueLayers[1].layer.shapeArgument == "1,64,56,56,64,3,3,1,1,1")
        #expect(workload.unsupported == ["pool: op \"maxpool\" (supported: gemm, matmul, conv2d)"])
    }

    @Test("a bad entry names the file, the entry and the field")
    func errors() throws {
        let negative = try write(#"{"layers": [{"op": "gemm", "m": 1, "n": 1, "k": 1}, {"op": "gemm", "m": -4, "n": 1, "k": 1}]}"#)
        #expect((#expect(throws: FileError.self) { try LayerList.load(path: negative) })?.message
            == "field \"layers[1].m\" must be a positive integer, got -4")
        let epilogue = try write(#"{"layers": [{"op": "gemm", "m": 1, "n": 1, "k": 1, "epilogue": "swish"}]}"#)
        #expect((#expect(throws: FileError.self) { try LayerList.load(path: epilogue) })?.message.hasPrefix("field \"layers[0].epilogue\"") == true)
        let conv = try write(#"{"layers": [{"op": "conv2d", "shape": "1,2,3"}]}"#)
        #expect((#expect(throws: FileError.self) { try LayerList.load(path: conv) })?.message.hasPrefix("field \"layers[0].shape\"") == true)
        let empty = try write(#"{"layers": [{"op": "softmax"}]}"#)
        #expect((#expect(throws: FileError.self) { try LayerList.load(path: empty) })?.message == "has no gemm, matmul or conv2d layer to tune")
        let notList = try write(#"{"layers": 3}"#)
        #expect((#expect(throws: FileError.self) { try LayerList.load(path: notList) })?.message == "field \"layers\" must be a list, got 3")
    }
}
