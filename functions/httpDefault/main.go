// Command httpDefault is the Lambda function of that name in the route table (shared/routes).
package main

import "imusers/shared/lambdaapp"

func main() { lambdaapp.Start("httpDefault") }
