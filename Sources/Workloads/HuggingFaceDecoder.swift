import KernelModel
import TunebenchCore

/// A decoder-only transformer of the Llama lineage as its `config.json` describes it: attention
/// projections with grouped-query k/v (fused into one qkv projection in Phi-3; DeepSeek's
/// multi-head latent attention), an MLP (gated, as gate/up/down or a fused gate_up; plain in
/// StarCoder2) or a mixture of experts, and the LM head. Which family sets which biases and
/// which layers route follows transformers' modeling files.
struct HuggingFaceDecoder {
    /// Routed experts of the MoE layers. Each expert's gate and up projections are one GEMM
    /// (transformers keeps them as one gate_up_proj tensor per expert).
    struct Experts {
        var count: Int
        var perToken: Int
        var intermediate: Int
        /// Shared experts' width (every token; DeepSeek's n_shared_experts together), and
        /// whether a one-output gate scales them (Qwen2-MoE).
        var shared: (intermediate: Int, gated: Bool)?
        /// Layers with experts; the others have the dense MLP.
        var layers: Int
        /// The router and the experts add biases (GPT-OSS).
        var biases = false
    }

    /// DeepSeek's multi-head latent attention: queries through a low-rank projection (or one
    /// q_proj), keys and values compressed to kv_lora_rank (plus the shared RoPE key) and
    /// expanded per head.
    struct LatentAttention {
        var queryRank: Int?
        var keyValueRank: Int
        var noPositionDim: Int, positionDim: Int, valueDim: Int
    }

    static let mostExperts = 1 << 20, mostLayers = 1 << 16

    static let families = ["llama", "mistral", "qwen2", "qwen3", "olmo2", "gemma", "gemma2", "gemma3_text", "phi3", "starcoder2",
                           "mixtral", "qwen2_moe", "qwen3_moe", "deepseek_v2", "deepseek_v3", "llama4_text", "gpt_oss"]

    var type: String
    var hidden: Int, heads: Int, kvHeads: Int, headDim: Int, layers: Int, vocabulary: Int
    /// The dense MLP's width (nil when every layer has experts).
    var intermediate: Int?
    var qkvBias = false, outBias = false, mlpBias = false
    var fusedQKV = false, fusedGateUp = false
    /// gate/up/down with an elementwise activation between; false: up (activation fused) and down.
    var gated = true
    var activation: String
    var experts: Experts?
    var latent: LatentAttention?

    init(_ fields: JSONFields, type: String) throws {
        self.type = type
        let context = " (model_type \(type))"
        hidden = try fields.positiveInt("hidden_size", context: context)
        heads = try fields.positiveInt("num_attention_heads", context: context)
        kvHeads = try fields.optionalPositiveInt("num_key_value_heads") ?? heads
        layers = try fields.positiveInt("num_hidden_layers", context: context)
        vocabulary = try fields.positiveInt("vocab_size", context: context)
        // Qwen3 and the Gemmas declare head_dim with a default of their own, not hidden / heads.
        let declaredHeadDim = ["qwen3": 128, "gemma": 256, "gemma2": 256, "gemma3_text": 256, "llama4_text": 128, "gpt_oss": 64][type]
        headDim = try fields.optionalPositiveInt("head_dim") ?? declaredHeadDim ?? hidden / heads
        guard hidden % heads == 0 || fields.has("head_dim") || declaredHeadDim != nil || type.hasPrefix("deepseek") else {
            throw FileError(path: fields.path, message: "field \(fields.name("hidden_size")) (\(hidden)) is not a multiple of \(fields.name("num_attention_heads")) (\(heads))")
        }
        guard heads % kvHeads == 0 else {
            throw FileError(path: fields.path, message: "field \(fields.name("num_attention_heads")) (\(heads)) is not a multiple of \(fields.name("num_key_value_heads")) (\(kvHeads))")
        }
        activation = try fields.optionalString("hidden_activation") ?? fields.optionalString("hidden_act") ?? "silu"
        // GPT-OSS's attention has biases unless told otherwise; the others' not.
        let attentionBias = try fields.optionalBool("attention_bias") ?? (type == "gpt_oss")
        switch type {
        case "qwen2":
            // q, k and v always have biases; o none.
            qkvBias = true
        case "qwen2_moe":
            qkvBias = try fields.optionalBool("qkv_bias") ?? true
        case "llama":
            (qkvBias, outBias) = (attentionBias, attentionBias)
            mlpBias = try fields.optionalBool("mlp_bias") ?? false
        case "qwen3", "qwen3_moe", "olmo2", "gemma", "gemma2", "gemma3_text", "llama4_text", "deepseek_v2", "deepseek_v3", "gpt_oss":
            (qkvBias, outBias) = (attentionBias, attentionBias)
        case "phi3":
            (fusedQKV, fusedGateUp) = (true, true)
        case "starcoder2":
            let bias = try fields.optionalBool("use_bias") ?? true
            (qkvBias, outBias, mlpBias, gated) = (bias, bias, bias, false)
        default:
            break
        }
        if type.hasPrefix("deepseek") {
            latent = LatentAttention(queryRank: try fields.optionalPositiveInt("q_lora_rank"),
                                     keyValueRank: try fields.positiveInt("kv_lora_rank", context: context),
                                     noPositionDim: try fields.positiveInt("qk_nope_head_dim", context: context),
                                     positionDim: try fields.positiveInt("qk_rope_head_dim", context: context),
                                     valueDim: try fields.positiveInt("v_head_dim", context: context))
        }
        switch type {
        case "mixtral":
            // Every layer routes; intermediate_size is each expert's width.
            experts = Experts(count: try fields.positiveInt("num_local_experts", context: context),
                              perToken: try fields.positiveInt("num_experts_per_tok", context: context),
                              intermediate: try fields.positiveInt("intermediate_size", context: context), shared: nil, layers: layers)
        case "gpt_oss":
            // Every layer routes; the router and each expert's gate_up and down add biases.
            experts = Experts(count: try fields.positiveInt("num_local_experts", context: context),
                              perToken: try fields.optionalPositiveInt("num_experts_per_tok") ?? fields.positiveInt("experts_per_token", context: context),
                              intermediate: try fields.positiveInt("intermediate_size", context: context), shared: nil, layers: layers, biases: true)
        case "deepseek_v2", "deepseek_v3":
            // Layers from first_k_dense_replace on route, with n_shared_experts shared experts
            // of moe_intermediate_size each; the first ones have the dense MLP.
            let dense = min(layers, try fields.optionalNonNegativeInt("first_k_dense_replace") ?? (type == "deepseek_v3" ? 3 : 0))
            let width = try fields.positiveInt("moe_intermediate_size", context: context)
            let shared = try fields.optionalNonNegativeInt("n_shared_experts") ?? (type == "deepseek_v3" ? 1 : 2)
            experts = Experts(count: try fields.positiveInt("n_routed_experts", context: context),
                              perToken: try fields.positiveInt("num_experts_per_tok", context: context), intermediate: width,
                              shared: shared > 0 ? (width * shared, false) : nil, layers: layers - dense)
            if dense > 0 { intermediate = try fields.positiveInt("intermediate_size", context: context) }
            mlpBias = try type == "deepseek_v2" && (fields.optionalBool("mlp_bias") ?? false)
        case "llama4_text":
            // moe_layers, else every interleave_moe_layer_step-th layer; experts and the shared
            // expert at intermediate_size, the other layers' MLP at intermediate_size_mlp.
            let step = try fields.optionalPositiveInt("interleave_moe_layer_step") ?? 1
            let routed = Set(try fields.optionalIndexList("moe_layers") ?? Array(stride(from: step - 1, to: layers, by: step))).filter { $0 < layers }
            let width = try fields.positiveInt("intermediate_size", context: context)
            experts = Experts(count: try fields.positiveInt("num_local_experts", context: context),
                              perToken: try fields.optionalPositiveInt("num_experts_per_tok") ?? 1, intermediate: width,
                              shared: (width, false), layers: routed.count)
            if routed.count < layers { intermediate = try fields.positiveInt("intermediate_size_mlp", context: context) }
        case "qwen2_moe", "qwen3_moe":
            // A layer routes unless mlp_only_layers lists it or decoder_sparse_step skips it.
            let step = try fields.optionalPositiveInt("decoder_sparse_step") ?? 1
            let dense = Set(try fields.optionalIndexList("mlp_only_layers") ?? [])
            let sparse = (0..<layers).filter { !dense.contains($0) && ($0 + 1) % step == 0 }.count
            experts = Experts(count: try fields.positiveInt("num_experts", context: context),
                              perToken: try fields.positiveInt("num_experts_per_tok", context: context),
                              intermediate: try fields.positiveInt("moe_intermediate_size", context: context),
                              shared: type == "qwen2_moe" ? (try fields.positiveInt("shared_expert_intermediate_size", context: context), true) : nil,
                              layers: sparse)
            if sparse < layers { intermediate = try fields.positiveInt("intermediate_size", context: context) }
        default:
            intermediate = try fields.positiveInt("intermediate_size", context: context)
        }
        if let experts, experts.perToken > experts.count {
            throw FileError(path: fields.path, message: "field \(fields.name("num_experts_per_tok")) (\(experts.perToken)) is above the number of experts (\(experts.count))")
        }
        // Counts beyond any model's: refused before layers x experts multiply into overflow.
        if let experts, experts.count > Self.mostExperts {
            throw FileError(path: fields.path, message: "\(experts.count) experts is beyond any model's (at most \(Self.mostExperts) are read)")
        }
        if layers > Self.mostLayers {
            throw FileError(path: fields.path, message: "field \(fields.name("num_hidden_layers")) (\(layers)) is beyond any model's (at most \(Self.mostLayers) are read)")
        }
    }

    /// The workload's GEMMs at each token count.
    func workload(tokens: [Int], source: String) -> Workload {
        var instances: [Workload.Instance] = []
        let all = "layers.0-\(layers - 1)"
        let mlpActivation = gated ? nil : HuggingFaceConfig.fusedActivation(activation)
        for t in tokens {
            let suffix = " (tokens=\(t))"
            func add(_ name: String, n: Int, k: Int, bias: Bool, count: Int, m: Int = t, activation: Epilogue.Activation = .none) {
                guard count > 0 else { return }
                instances.append(.init(name: name + suffix, layer: .gemm(m: m, n: n, k: k, epilogue: Epilogue(bias: bias, activation: activation)), count: count))
            }
            if let latent {
                let queryDim = latent.noPositionDim + latent.positionDim
                if let rank = latent.queryRank {
                    add("\(all).self_attn.q_a_proj", n: rank, k: hidden, bias: qkvBias, count: layers)
                    add("\(all).self_attn.q_b_proj", n: heads * queryDim, k: rank, bias: false, count: layers)
                } else {
                    add("\(all).self_attn.q_proj", n: heads * queryDim, k: hidden, bias: false, count: layers)
                }
                add("\(all).self_attn.kv_a_proj_with_mqa", n: latent.keyValueRank + latent.positionDim, k: hidden, bias: qkvBias, count: layers)
                add("\(all).self_attn.kv_b_proj", n: heads * (latent.noPositionDim + latent.valueDim), k: latent.keyValueRank, bias: false, count: layers)
                add("\(all).self_attn.o_proj", n: hidden, k: heads * latent.valueDim, bias: outBias, count: layers)
            } else if fusedQKV {
                add("\(all).self_attn.qkv_proj", n: (heads + 2 * kvHeads) * headDim, k: hidden, bias: qkvBias, count: layers)
                add("\(all).self_attn.o_proj", n: hidden, k: heads * headDim, bias: outBias, count: layers)
            } else {
                add("\(all).self_attn.q_proj", n: heads * headDim, k: hidden, bias: qkvBias, count: layers)
                add("\(all).self_attn.k_proj", n: kvHeads * headDim, k: hidden, bias: qkvBias, count: layers)
                add("\(all).self_attn.v_proj", n: kvHeads * headDim, k: hidden, bias: qkvBias, count: layers)
                add("\(all).self_attn.o_proj", n: hidden, k: heads * headDim, bias: outBias, count: layers)
            }
            let denseLayers = layers - (experts?.layers ?? 0)
            if let intermediate, denseLayers > 0 {
                let which = denseLayers == layers ? all : "layers (\(denseLayers) dense)"
                if !gated {
                    add("\(which).mlp.c_fc", n: intermediate, k: hidden, bias: mlpBias, count: denseLayers, activation: mlpActivation ?? .none)
                    add("\(which).mlp.c_proj", n: hidden, k: intermediate, bias: mlpBias, count: denseLayers)
                } else if fusedGateUp {
                    add("\(which).mlp.gate_up_proj", n: 2 * intermediate, k: hidden, bias: mlpBias, count: denseLayers)
                    add("\(which).mlp.down_proj", n: hidden, k: intermediate, bias: mlpBias, count: denseLayers)
                } else {
                    add("\(which).mlp.gate_proj", n: intermediate, k: hidden, bias: mlpBias, count: denseLayers)
                    add("\(which).mlp.up_proj", n: intermediate, k: hidden, bias: mlpBias, count: denseLayers)
                    add("\(which).mlp.down_proj", n: hidden, k: intermediate, bias: mlpBias, count: denseLayers)
                }
            }
            if let experts, experts.layers > 0 {
                let which = experts.layers == layers ? all : "layers (\(experts.layers) with experts)"
                let route = Self.routing(tokens: t, experts: experts)
                let expert = "\(which).mlp.experts (\(route.active) of \(experts.count), \(route.rows) row\(route.rows == 1 ? "" : "s") each)"
                add("\(which).mlp.gate", n: experts.count, k: hidden, bias: experts.biases, count: experts.layers)
                add("\(expert).gate_up_proj", n: 2 * experts.intermediate, k: hidden, bias: experts.biases, count: experts.layers * route.active, m: route.rows)
                add("\(expert).down_proj", n: hidden, k: experts.intermediate, bias: experts.biases, count: experts.layers * route.active, m: route.rows)
                if let shared = experts.shared {
                    add("\(which).mlp.shared_expert.gate_proj", n: shared.intermediate, k: hidden, bias: false, count: experts.layers)
                    add("\(which).mlp.shared_expert.up_proj", n: shared.intermediate, k: hidden, bias: false, count: experts.layers)
                    add("\(which).mlp.shared_expert.down_proj", n: hidden, k: shared.intermediate, bias: false, count: experts.layers)
                    if shared.gated { add("\(which).mlp.shared_expert_gate", n: 1, k: hidden, bias: false, count: experts.layers) }
                }
            }
            add("lm_head", n: vocabulary, k: hidden, bias: false, count: 1)
        }
        var unsupported: [String] = []
        if gated {
            unsupported.append("mlp activation \(activation)(gate) x up: elementwise, not fused into a GEMM")
        } else if mlpActivation == nil {
            unsupported.append("mlp activation \(activation): not an activation the kernels fuse (relu, gelu in the tanh or erf form); runs after c_fc")
        }
        var notes: [String] = []
        if let experts {
            notes.append("experts: each token's \(experts.perToken) of \(experts.count) experts, routed evenly (t tokens give t·\(experts.perToken) "
                         + "token-expert pairs over min(\(experts.count), t·\(experts.perToken)) experts, rows rounded up); real routing is uneven")
        }
        return Workload(name: "\(type) hidden=\(hidden) layers=\(layers)", source: source, instances: instances, unsupported: unsupported, notes: notes)
    }

    /// Experts a step of `tokens` runs and the rows each gets, routing evenly.
    static func routing(tokens: Int, experts: Experts) -> (active: Int, rows: Int) {
        // Saturating: absurd counts make a layer the shape check refuses, not an overflow.
        let (product, overflow) = tokens.multipliedReportingOverflow(by: experts.perToken)
        let pairs = overflow ? Int.max : product
        let active = min(experts.count, pairs)
        return (active, pairs / active + (pairs % active == 0 ? 0 : 1))
    }
}
