#!/usr/bin/env python3
"""Writes models as torch.onnx exports them into Tests/Fixtures/onnx/: Hugging Face
architectures at small sizes with seeded weights, through both of PyTorch's exporters (the
dynamo exporter, torch.onnx.export's default since 2.9, and the TorchScript one), with inputs
and onnxruntime's outputs. pip install torch transformers onnx onnxscript onnxruntime numpy
(written with torch 2.13, transformers 5.24, onnxscript 0.7, onnxruntime 1.32); the files are
committed, so neither the tests nor CI need Python packages.

  torch-bert-dynamo.onnx     BertModel, opset 20: Gelu, LayerNormalization, GatherElements for
                             the token types, attention as torch's scaled_dot_product_attention
                             (scales on Q and Kᵀ, Where(IsNaN(softmax), 0, softmax))
  torch-bert-legacy.onnx     BertModel through the TorchScript exporter, opset 17, dynamic batch
                             and sequence axes, with an attention mask input: the extended mask
                             and Expand's target shape as Shape/Equal/Where arithmetic
  torch-vit-legacy.onnx      ViTForImageClassification, opset 17: the class token's Expand behind a
                             constant ConstantOfShape/Equal/Where subgraph
  torch-llama-dynamo.onnx    LlamaForCausalLM (grouped-query attention), opset 20, dynamic sequence:
                             RMSNorm and rotary embeddings written out, SiLU as x·Sigmoid(x)
  torch-gpt2-dynamo.onnx     GPT2LMHeadModel, opset 20: Conv1D as Gemm, tanh GELU written out, the
                             fused QKV Split
  NAME-optimized.onnx        torch-bert-legacy, torch-gpt2-dynamo and torch-llama-dynamo through
                             onnxruntime's transformer optimizer (onnxruntime.transformers.optimizer,
                             as Optimum's --optimize runs it): com.microsoft SkipLayerNormalization,
                             BiasGelu, FastGelu, SkipSimplifiedLayerNormalization and
                             SimplifiedLayerNormalization; same inputs and expected outputs
  NAME.inputs.npz            inputs by name (token ids seeded, masks with trailing padding)
  NAME.expected.npz          onnxruntime's outputs by name
"""
import os
import warnings
import numpy as np
import onnxruntime
import torch
import transformers as hf

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "onnx")
VOCAB, HIDDEN, SEQ = 100, 32, 12


class FirstOutput(torch.nn.Module):
    """The model's logits (or last hidden state) as one output, from named inputs."""

    def __init__(self, model, names):
        super().__init__()
        self.model, self.names = model, names

    def forward(self, *inputs):
        result = self.model(**dict(zip(self.names, inputs)))
        return result.logits if getattr(result, "logits", None) is not None else result.last_hidden_state


def text_inputs(mask):
    generator = torch.Generator().manual_seed(3)
    ids = torch.randint(0, VOCAB, (2 if mask else 1, SEQ), generator=generator)
    if not mask:
        return {"input_ids": ids}
    attention = torch.ones_like(ids)
    attention[1, SEQ - 4:] = 0  # the second sequence padded
    return {"input_ids": ids, "attention_mask": attention}


def export(name, model, inputs, dynamo, dynamic=None):
    torch.manual_seed(0)
    model.eval()
    wrapper = FirstOutput(model, list(inputs))
    args = tuple(inputs.values())
    path = os.path.join(FIXTURES, f"{name}.onnx")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            shapes = None
            if dynamic:
                # forward(*inputs) takes the inputs as one tuple: its shapes are one tuple too.
                shapes = (tuple({axis: torch.export.Dim(label, min=2, max=64) for axis, label in dynamic.items()} for _ in args),)
            torch.onnx.export(wrapper, args, path, dynamo=True, input_names=list(inputs), output_names=["output"],
                              dynamic_shapes=shapes, external_data=False)
        else:
            axes = {input: dynamic for input in inputs} if dynamic else None
            torch.onnx.export(wrapper, args, path, dynamo=False, opset_version=17, input_names=list(inputs),
                              output_names=["output"], dynamic_axes=axes)
    feed = {key: value.numpy() for key, value in inputs.items()}
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    outputs = session.run(None, feed)
    np.savez(os.path.join(FIXTURES, f"{name}.inputs.npz"), **feed)
    np.savez(os.path.join(FIXTURES, f"{name}.expected.npz"), output=outputs[0])
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def seeded(build):
    torch.manual_seed(0)
    return build()


def main():
    bert = hf.BertConfig(vocab_size=VOCAB, hidden_size=HIDDEN, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                         max_position_embeddings=64)
    export("torch-bert-dynamo", seeded(lambda: hf.BertModel(bert)), text_inputs(mask=False), dynamo=True)
    export("torch-bert-legacy", seeded(lambda: hf.BertModel(bert)), text_inputs(mask=True), dynamo=False,
           dynamic={0: "batch", 1: "seq"})
    vit = hf.ViTConfig(image_size=16, patch_size=4, num_channels=3, hidden_size=HIDDEN, num_hidden_layers=2, num_attention_heads=4,
                       intermediate_size=64, num_labels=5)
    pixels = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(3)) * 2 - 1
    export("torch-vit-legacy", seeded(lambda: hf.ViTForImageClassification(vit)), {"pixel_values": pixels}, dynamo=False)
    llama = hf.LlamaConfig(vocab_size=VOCAB, hidden_size=HIDDEN, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                           num_key_value_heads=2, max_position_embeddings=64, use_cache=False)
    export("torch-llama-dynamo", seeded(lambda: hf.LlamaForCausalLM(llama)), text_inputs(mask=False), dynamo=True, dynamic={1: "seq"})
    gpt2 = hf.GPT2Config(vocab_size=VOCAB, n_embd=HIDDEN, n_layer=2, n_head=4, n_positions=64, use_cache=False)
    export("torch-gpt2-dynamo", seeded(lambda: hf.GPT2LMHeadModel(gpt2)), text_inputs(mask=False), dynamo=True)


def optimize(name, model_type):
    """The export as onnxruntime's transformer optimizer fuses it (its own graph optimizations off)."""
    from onnxruntime.transformers import optimizer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optimized = optimizer.optimize_model(os.path.join(FIXTURES, f"{name}.onnx"), model_type=model_type, num_heads=4, hidden_size=HIDDEN,
                                             opt_level=0)
    path = os.path.join(FIXTURES, f"{name}-optimized.onnx")
    optimized.save_model_to_file(path)
    feed = dict(np.load(os.path.join(FIXTURES, f"{name}.inputs.npz")))
    output = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, feed)[0]
    expected = np.load(os.path.join(FIXTURES, f"{name}.expected.npz"))["output"]
    assert np.abs(output - expected).max() <= 1e-5 * np.abs(expected).max(), name
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
    optimize("torch-bert-legacy", "bert")
    optimize("torch-gpt2-dynamo", "bert")
    optimize("torch-llama-dynamo", "bert")
