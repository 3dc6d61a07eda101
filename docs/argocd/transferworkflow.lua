-- Argo CD health check for transfer.operators.dev/TransferWorkflow.
-- It reads the conditions the operator writes, with the kstatus rules Flux uses:
--   the operator has not finished the latest spec (observedGeneration behind) -> Progressing
--   Stalled=True (retrying cannot help: invalid spec, not found, denied)      -> Degraded
--   Reconciling=True (creating, replacing, retiring the old one, retrying)    -> Progressing
--   Ready=True (AWS matches the spec)                                         -> Healthy
--   Ready=False with neither of the above                                     -> Degraded
-- Only Lua's base library is used: argocd-cm health scripts run without string and math.
local kind = "TransferWorkflow"
local hs = {status = "Progressing", message = "Waiting for the operator to report on the " .. kind}
if obj.status == nil or obj.status.conditions == nil then
  return hs
end

local conditions = {}
for _, c in ipairs(obj.status.conditions) do
  if c.type ~= nil then
    conditions[c.type] = c
  end
end

local function describe(c)
  local text = c.reason or c.type
  if c.message ~= nil and c.message ~= "" then
    text = text .. ": " .. c.message
  end
  return text
end

local generation = tonumber(obj.metadata.generation) or 0
local observed = tonumber(obj.status.observedGeneration) or 0
local stalled = conditions["Stalled"]
local reconciling = conditions["Reconciling"]
local ready = conditions["Ready"]

if observed < generation then
  if reconciling ~= nil and reconciling.status == "True" then
    hs.message = describe(reconciling)
  else
    hs.message = "Waiting for the operator to apply generation " .. generation .. " of the " .. kind
  end
  return hs
end
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled)
  return hs
end
if reconciling ~= nil and reconciling.status == "True" then
  hs.message = describe(reconciling)
  return hs
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready)
  return hs
end
if ready ~= nil and ready.status == "False" then
  hs.status = "Degraded"
  hs.message = describe(ready)
  return hs
end
return hs
