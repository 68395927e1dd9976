package mailout

import (
	"strings"
	"text/template"
)

// labels holds, per locale, the words the templates show for the data
// model's enum values (statuses, priorities, SLA clocks).
var labels = map[string]map[string]string{
	"en": {
		"NEW": "New", "ACCEPTED": "Accepted", "IN_PROGRESS": "In progress",
		"WAITING_ON_CUSTOMER": "Waiting on the customer", "WAITING_ON_THIRD_PARTY": "Waiting on a third party",
		"RESOLVED": "Resolved", "CLOSED": "Closed",
		"CRITICAL": "Critical", "HIGH": "High", "MEDIUM": "Medium", "LOW": "Low",
		"FIRST_RESPONSE": "first response", "RESOLUTION": "resolution",
	},
	"es": {
		"NEW": "Nuevo", "ACCEPTED": "Aceptado", "IN_PROGRESS": "En curso",
		"WAITING_ON_CUSTOMER": "A la espera del cliente", "WAITING_ON_THIRD_PARTY": "A la espera de un tercero",
		"RESOLVED": "Resuelto", "CLOSED": "Cerrado",
		"CRITICAL": "Crítica", "HIGH": "Alta", "MEDIUM": "Media", "LOW": "Baja",
		"FIRST_RESPONSE": "primera respuesta", "RESOLUTION": "resolución",
	},
}

// labelFuncs are the functions every template of locale may call:
//
//	{{label .Status}}   the status, priority or SLA clock in the locale's words
//	                    (a value without a label is shown as given)
//	{{lines .Comment}}  the text's lines, to quote them one by one
func labelFuncs(locale string) template.FuncMap {
	words := labels[locale]
	return template.FuncMap{
		"label": func(value string) string {
			if w, ok := words[value]; ok {
				return w
			}
			return value
		},
		"lines": func(text string) []string {
			return strings.Split(strings.TrimRight(strings.ReplaceAll(text, "\r\n", "\n"), "\n"), "\n")
		},
	}
}
