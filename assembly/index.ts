// The module's exports: every kernel family, one file each. Pointers and sizes in, no allocation.
export { f32_gemv, f32_gemm, f32_gemm_scratch, f32_gemm_tn, f32_gemm_tn_rows, f32_gemm_nt_grad } from "./dense";
export { f32_spmv_csr_u16, f32_spmv_csr_u32, f32_spmm_csr_u16, f32_spmm_csr_u32 } from "./csr";
export { f32_act_backward, f32_sgd_masked, f32_movement_step, f32_sum_squares_masked } from "./train";
export { probe_read_bw, probe_madd_peak } from "./probe";
export { f32_standardize_transpose } from "./layout";
export {
  f32_csr_weight_grad_u16, f32_csr_weight_grad_u32, f32_csr_input_grad_u16, f32_csr_input_grad_u32, f32_gather_u32, f32_csr_movement_u16, f32_csr_movement_u32,
} from "./sparse-train";
