import KernelModel
import TunebenchCore

/// The GEMMs of a Hugging Face transformer from its `config.json`, per token count: the
/// attention projections, the MLP and the LM head. Decoder families (Llama, Mistral, Qwen2,
/// GPT-2) and BERT encoders. Attention's own batched products (Q·Kᵀ, P·V) depend on the
/// sequence length and are listed as not imported.
public enum HuggingFaceConfig {
    public static let supported = ["llama", "mistral", "qwen2", "gpt2", "bert"]

    public static func load(path: String, tokens: [Int]) throws -> Workload {
        guard !tokens.isEmpty, tokens.allSatisfy({ $0 > 0 }) else {
            throw FileError(path: path, message: "give at least one positive token count")
        }
        let fields = try JSONFields.load(path: path)
        let type = try fields.string("model_type")
        var workload: Workload
        switch type {
        case "llama", "mistral", "qwen2": workload = try decoder(fields, type: type, tokens: tokens)
        case "gpt2": workload = try gpt2(fields, tokens: tokens)
        case "bert": workload = try bert(fields, tokens: tokens)
        default:
            throw FileError(path: path, message: "model_type \"\(type)\" is not supported (supported: \(supported.joined(separator: ", ")))")
        }
        workload.notes.append("no checkpoint: weights are random at the layer's scale (1/sqrt(in_features)); accuracy figures use them")
        workload.unsupported.append("attention scores and weighted sum (Q·Kᵀ, softmax, P·V): batched products over the sequence, not imported")
        return workload
    }

    /// Llama, Mistral and Qwen2: q/k/v/o projections with grouped-query attention, gated MLP.
    static func decoder(_ fields: JSONFields, type: String, tokens: [Int]) throws -> Workload {
        let context = " (model_type \(type))"
        let hidden = try fields.positiveInt("hidden_size", context: context)
        let intermediate = try fields.positiveInt("intermediate_size", context: context)
        let heads = try fields.positiveInt("num_attention_heads", context: context)
        let kvHeads = try fields.optionalPositiveInt("num_key_value_heads") ?? heads
        let layers = try fields.positiveInt("num_hidden_layers", context: context)
        let vocabulary = try fields.positiveInt("vocab_size", context: context)
        let headDim = try fields.optionalPositiveInt("head_dim") ?? hidden / heads
        guard hidden % heads == 0 || fields.has("head_dim") else {
            throw FileError(path: fields.path, message: "field \"hidden_size\" (\(hidden)) is not a multiple of \"num_attention_heads\" (\(heads))")
        }
        guard heads % kvHeads == 0 else {
            throw FileError(path: fields.path, message: "field \"num_attention_heads\" (\(heads)) is not a multiple of \"num_key_value_heads\" (\(kvHeads))")
        }
        // Qwen2 has biases on q, k and v; Llama only when attention_bias is set; Mistral none.
        let attentionBias = try fields.optionalBool("attention_bias") ?? false
        let qkvBias = type == "qwen2" || attentionBias
        let outBias = type == "llama" && attentionBias
        let mlpBias = try type == "llama" && (fields.optionalBool("mlp_bias") ?? false)
        var instances: [Workload.Instance] = []
        for t in tokens {
            let suffix = " (tokens=\(t))"
            let all = "layers.0-\(layers - 1)"
            instances += [
                .init(name: "\(all).self_attn.q_proj\(suffix)", layer: .gemm(m: t, n: heads * headDim, k: hidden, epilogue: Epilogue(bias: qkvBias)), count: layers),
                .init(name: "\(all).self_attn.k_proj\(suffix)", layer: .gemm(m: t, n: kvHeads * headDim, k: hidden, epilogue: Epilogue(bias: qkvBias)), count: layers),
                .init(name: "\(all).self_attn.v_proj\(suffix)", layer: .gemm(m: t, n: kvHeads * headDim, k: hidden, epilogue: Epilogue(bias: qkvBias)), count: layers),
                .init(name: "\(all).self_attn.o_proj\(suffix)", layer: .gemm(m: t, n: hidden, k: heads * headDim, epilogue: Epilogue(bias: outBias)), count: layers),
                .init(name: "\(all).mlp.gate_proj\(suffix)", layer: .gemm(m: t, n: intermediate, k: hidden, epilogue: Epilogue(bias: mlpBias)), count: layers),
                .init(name: "\(all).mlp.up_proj\(suffix)", layer: .gemm(m: t, n: intermediate, k: hidden, epilogue: Epilogue(bias: mlpBias)), count: layers),
                .init(name: "\(all).mlp.down_proj\(suffix)", layer: .gemm(m: t, n: hidden, k: intermediate, epilogue: Epilogue(bias: mlpBias)), count: layers),
                .init(name: "lm_head\(suffix)", layer: .gemm(m: t, n: vocabulary, k: hidden)),
            ]
        }
        let activation = (try fields.optionalString("hidden_act")) ?? "silu"
        return Workload(name: "\(type) hidden=\(hidden) layers=\(layers)", source: fields.path, instances: instances,
                        unsupported: ["mlp activation \(activation)(gate) x up: elementwise, not fused into a GEMM"])
    }

    /// GPT-2: fused qkv (c_attn), c_proj, c_fc + GELU, c_proj, all with bias; LM head.
    static func gpt2(_ fields: JSONFields, tokens: [Int]) throws -> Workload {
        let context = " (model_type gpt2)"
        let hidden = try fields.positiveInt("n_embd", context: context)
        let inner = try fields.optionalPositiveInt("n_inner") ?? 4 * hidden
        let layers = try fields.positiveInt("n_layer", context: context)
        let vocabulary = try fields.positiveInt("vocab_size", context: context)
        let activation = (try fields.optionalString("activation_function")) ?? "gelu_new"
        let fused = fusedActivation(activation)
        var instances: [Workload.Instance] = []
        for t in tokens {
            let suffix = " (tokens=\(t))"
            let all = "h.0-\(layers - 1)"
            instances += [
                .init(name: "\(all).attn.c_attn\(suffix)", layer: .gemm(m: t, n: 3 * hidden, k: hidden, epilogue: Epilogue(bias: true)), count: layers),
                .init(name: "\(all).attn.c_proj\(suffix)", layer: .gemm(m: t, n: hidden, k: hidden, epilogue: Epilogue(bias: true)), count: layers),
                .init(name: "\(all).mlp.c_fc\(suffix)", layer: .gemm(m: t, n: inner, k: hidden, epilogue: Epilogue(bias: true, activation: fused ?? .none)), count: layers),
                .init(name: "\(all).mlp.c_proj\(suffix)", layer: .gemm(m: t, n: hidden, k: inner, epilogue: Epilogue(bias: true)), count: layers),
                .init(name: "lm_head\(suffix)", layer: .gemm(m: t, n: vocabulary, k: hidden)),
            ]
        }
        return Workload(name: "gpt2 n_embd=\(hidden) n_layer=\(layers)", source: fields.path, instances: instances,
                        unsupported: fused != nil ? [] : ["mlp activation \(activation): not an activation the kernels fuse (relu, gelu in the tanh or erf form); runs after c_fc"])
    }

    /// The epilogue activation of a Hugging Face activation name (transformers' ACT2FN), nil
    /// when the kernels have none for it: "gelu" is the exact erf form, "gelu_new" and its
    /// aliases the tanh form.
    static func fusedActivation(_ name: String) -> Epilogue.Activation? {
        switch name {
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": .gelu
        case "gelu": .geluErf
        case "relu": .relu
        case "relu6": .relu6
        default: nil
        }
    }

    /// BERT encoder: q/k/v, attention output, intermediate (+GELU), output; no LM head.
    static func bert(_ fields: JSONFields, tokens: [Int]) throws -> Workload {
        let context = " (model_type bert)"
        let hidden = try fields.positiveInt("hidden_size", context: context)
        let intermediate = try fields.positiveInt("intermediate_size", context: context)
        let layers = try fields.positiveInt("num_hidden_layers", context: context)
        let activation = (try fields.optionalString("hidden_act")) ?? "gelu"
        let fused = fusedActivation(activation)
        var instances: [Workload.Instance] = []
        for t in tokens {
            let suffix = " (tokens=\(t))"
            let all = "encoder.layer.0-\(layers - 1)"
            for part in ["query", "key", "value"] {
                instances.append(.init(name: "\(all).attention.self.\(part)\(suffix)", layer: .gemm(m: t, n: hidden, k: hidden, epilogue: Epilogue(bias: true)), count: layers))
            }
            instances += [
                .init(name: "\(all).attention.output.dense\(suffix)", layer: .gemm(m: t, n: hidden, k: hidden, epilogue: Epilogue(bias: true)), count: layers),
                .init(name: "\(all).intermediate.dense\(suffix)", layer: .gemm(m: t, n: intermediate, k: hidden, epilogue: Epilogue(bias: true, activation: fused ?? .none)), count: layers),
                .init(name: "\(all).output.dense\(suffix)", layer: .gemm(m: t, n: hidden, k: intermediate, epilogue: Epilogue(bias: true)), count: layers),
            ]
        }
        var unsupported = ["encoder only: no LM head (a masked-LM head is not part of BertModel)"]
        if fused == nil { unsupported.append("intermediate activation \(activation): not an activation the kernels fuse (relu, gelu in the tanh or erf form); runs after the GEMM") }
        return Workload(name: "bert hidden=\(hidden) layers=\(layers)", source: fields.path, instances: instances, unsupported: unsupported)
    }
}
